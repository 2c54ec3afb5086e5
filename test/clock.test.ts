import { describe, expect, it } from 'vitest';
import { ManualClock, TurnClock } from '../dist/util/clock.js';

/** A source that counts its reads and moves 1 ms per read. */
function countingSource(): ManualClock & { reads: number } {
  const clock = Object.assign(new ManualClock(), { reads: 0 });
  const now = clock.now.bind(clock);
  clock.now = () => {
    clock.reads++;
    clock.advance(1);
    return now();
  };
  return clock;
}

describe('TurnClock', () => {
  it('reads its source once per unit of work, lazily, and afresh outside one', () => {
    const source = countingSource();
    const clock = new TurnClock(source);
    expect(clock.now()).toBe(1);
    expect(clock.now()).toBe(2); // outside during(): every read is fresh
    const inside = clock.during(() => {
      expect(source.reads).toBe(2); // nothing read until asked
      return [clock.now(), clock.now(), clock.during(() => clock.now())];
    });
    expect(inside).toEqual([3, 3, 3]); // one reading, nested units included
    expect(source.reads).toBe(3);
    expect(clock.during((x: number) => clock.now() + x, 100)).toBe(104); // the next unit reads again
    expect(clock.now()).toBe(5);
  });

  it('a unit that throws ends all the same', () => {
    const source = countingSource();
    const clock = new TurnClock(source);
    expect(() =>
      clock.during(() => {
        clock.now();
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(clock.now()).toBe(2);
    expect(clock.now()).toBe(3);
  });
});
