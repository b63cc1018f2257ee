export * from './client.js';
export * from './errors.js';
export type * from './types.js';
export type * from './services.js';
export { loadCriProto } from './proto.js';
