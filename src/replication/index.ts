export * from './voter.js';
