export * from './api/index.js';
// Fault-injection campaigns: a layer on the public API above (it imports from there, never from here).
export * from './campaign/index.js';

// piscina users write `import Piscina from 'piscina'`: the pool is the default export here too.
import { Triplex as DefaultPool } from './api/index.js';
export default DefaultPool;
