/** `triplex worker`: one host of a cluster (triplex/cluster): local pinned cores serving replica jobs from Redis. */
import { isTriplexError } from '../../errors.js';
import { parseCommandArgs, UsageError } from '../usage.js';
import type { TriplexOptions } from '../../index.js';

type PinMode = NonNullable<TriplexOptions['pin']>;

const HELP = `Usage: triplex worker --redis URL --filename FILE [--cores N] [--host-id ID] [options]

Serves the replicas a TriplexCluster (import { TriplexCluster } from 'triplex/cluster') sends
to this host: each replica job runs on one of N local cores, each a worker thread pinned to a
CPU. The host registers under its id and heart-beats into Redis; stop it with SIGTERM or Ctrl-C
(running replicas finish first, heart-beating; then it unregisters: no core is charged).

  --redis URL              redis://[user:pass@]host:port[/db] (rediss:// for TLS)
  --filename FILE          the task module; the coordinator rejects a host whose module differs
  --cores N                local cores (default: CPUs available)
  --host-id ID             unique while the host lives (default: hostname-pid)
  --prefix NAME            the cluster's name in Redis (default: triplex)
  --pin auto|off|required  pin each core's thread to a CPU (default: auto)
  --cpus 0,1,...           CPUs to pin to (default: the affinity mask)
  --heartbeat MS           ms between heartbeats (default: 1000)
  --heartbeat-timeout MS   ms a heartbeat stays valid in Redis (default: 5000)

Prints one JSON line {"event":"ready",...} once it serves. Exit status 0 after a signal; 1 on
ERR_REDIS_UNREACHABLE, ERR_HOST_ID_TAKEN, ERR_MODULE_MISMATCH (the coordinator refused the
module) or a module that fails to load; 2 on a usage error.`;

function int(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new UsageError('worker', `--${name} must be a non-negative integer; received ${JSON.stringify(text)}`);
  return n;
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('worker', {
    args: argv,
    options: {
      redis: { type: 'string' },
      filename: { type: 'string' },
      cores: { type: 'string' },
      'host-id': { type: 'string' },
      prefix: { type: 'string' },
      pin: { type: 'string' },
      cpus: { type: 'string' },
      heartbeat: { type: 'string' },
      'heartbeat-timeout': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (values.redis === undefined) throw new UsageError('worker', 'missing --redis URL');
  if (values.filename === undefined) throw new UsageError('worker', 'missing --filename FILE');
  const { ClusterHost } = await import('../../cluster.js');
  let fatal: (error: Error) => void = () => {};
  const failed = new Promise<Error>((resolve) => (fatal = resolve));
  const host = await ClusterHost.start({
    connection: values.redis,
    filename: values.filename,
    cores: int('cores', values.cores),
    hostId: values['host-id'],
    prefix: values.prefix,
    pin: values.pin as PinMode | undefined,
    cpus: values.cpus?.split(',').map((cpu) => int('cpus', cpu)!),
    heartbeatInterval: int('heartbeat', values.heartbeat),
    heartbeatTimeout: int('heartbeat-timeout', values['heartbeat-timeout']),
    onFatal: (error) => fatal(error),
  });
  console.log(
    JSON.stringify({ event: 'ready', hostId: host.id, cores: host.cores.map((c) => ({ core: c.id, cpu: c.cpu, pinned: c.pinned })), pid: process.pid }),
  );
  const signalled = new Promise<null>((resolve) => {
    process.once('SIGTERM', () => resolve(null));
    process.once('SIGINT', () => resolve(null));
  });
  const why = await Promise.race([failed, signalled]);
  await host.stop();
  if (why === null) return 0;
  console.error(isTriplexError(why) ? `triplex: ${why.code}: ${why.message}` : `triplex: ${why.message}`);
  return 1;
}
