/**
 * `triplex/cluster`: replicas on distinct hosts, through BullMQ on Redis (bullmq is an optional
 * peer dependency, loaded only through this entry and `triplex worker`).
 *
 *   // on each host:  npx triplex worker --redis redis://10.0.0.5:6379 --filename ./tasks.mjs
 *   import { TriplexCluster } from 'triplex/cluster';
 *   const cluster = new TriplexCluster({ connection: { host: '10.0.0.5', port: 6379 }, filename: './tasks.mjs' });
 *   await cluster.ready;                      // Redis answered and 3 hosts joined
 *   await cluster.run(invoice, { name: 'computeTotal' }); // voted by 3 hosts
 */
export { TriplexCluster, type ClusterCoreInfo, type HostInfo } from './cluster/cluster.js';
export type { TriplexClusterOptions } from './cluster/options.js';
export type { HostState } from './cluster/membership.js';
export type { RedisConnection } from './cluster/redis.js';
export { ClusterHost, type ClusterHostOptions } from './cluster/host.js';
export type { HostEvent } from './pool/events.js';
export { TriplexError, isTriplexError } from './errors.js';
