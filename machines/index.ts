// The charts and the pure kubelet rules beside them.
export * from './container/index.js';
export * from './pod/index.js';
export * from './probe.js';
export * from './types.js';
export * from './backoff.js';
export * from './grace.js';
export * from './restart-policy.js';
export * from './phase.js';
