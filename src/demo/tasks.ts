/**
 * The demo's workload: a real computation, not a toy. `block` hashes a SHA-256 chain (integer
 * and string work) and then integrates a damped, driven pendulum seeded by the hash (floating
 * point work), the kind of mixed kernel a mercurial core gets wrong on one instruction.
 */
import { createHash } from 'node:crypto';

export interface ChainInput {
  seed: string;
  rounds: number;
}

/** `rounds` chained SHA-256 digests of `seed`, hex. */
export function sha256Chain(input: ChainInput): string {
  let text = String(input.seed);
  for (let i = 0; i < input.rounds; i++) text = createHash('sha256').update(text).digest('hex');
  return text;
}

export interface KernelInput {
  /** Initial angle, rad. */
  theta: number;
  /** Damping and drive parameters. */
  damping: number;
  drive: number;
  steps: number;
}

export interface KernelOutput {
  theta: number;
  omega: number;
  /** Mean kinetic energy over the run. */
  energy: number;
}

/** Fourth-order Runge–Kutta integration of θ'' = −sin θ − c·θ' + A·cos(2t/3). */
export function floatKernel(input: KernelInput): KernelOutput {
  const h = 0.01;
  let theta = input.theta;
  let omega = 0;
  let t = 0;
  let energy = 0;
  const f = (th: number, om: number, time: number): number => -Math.sin(th) - input.damping * om + input.drive * Math.cos((2 * time) / 3);
  for (let i = 0; i < input.steps; i++) {
    const k1t = omega;
    const k1o = f(theta, omega, t);
    const k2t = omega + (h / 2) * k1o;
    const k2o = f(theta + (h / 2) * k1t, omega + (h / 2) * k1o, t + h / 2);
    const k3t = omega + (h / 2) * k2o;
    const k3o = f(theta + (h / 2) * k2t, omega + (h / 2) * k2o, t + h / 2);
    const k4t = omega + h * k3o;
    const k4o = f(theta + h * k3t, omega + h * k3o, t + h);
    theta += (h / 6) * (k1t + 2 * k2t + 2 * k3t + k4t);
    omega += (h / 6) * (k1o + 2 * k2o + 2 * k3o + k4o);
    t += h;
    energy += 0.5 * omega * omega;
  }
  return { theta, omega, energy: energy / input.steps };
}

export interface BlockInput {
  id: number;
  /** SHA-256 chain length. */
  rounds: number;
  /** Integration steps. */
  steps: number;
}

/** Strings and non-integral doubles only (see `block`). */
export interface BlockOutput {
  digest: string;
  pendulum: KernelOutput;
}

/** One unit of the demo's work: hash chain, then a float kernel seeded by the hash. */
export function block(input: BlockInput): BlockOutput {
  const digest = sha256Chain({ seed: `triplex-block-${input.id}`, rounds: input.rounds });
  const a = parseInt(digest.slice(0, 8), 16) / 0xffffffff;
  const b = parseInt(digest.slice(8, 16), 16) / 0xffffffff;
  const pendulum = floatKernel({ theta: a * Math.PI, damping: 0.05 + b * 0.5, drive: 1.2, steps: input.steps });
  // No integer fields in the result: v8 serializes an integer field as int32 or as double
  // depending on the thread's hidden-class history, which would make equal answers digest apart.
  return { digest, pendulum };
}
