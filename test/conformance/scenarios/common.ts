// Shared pieces of the conformance scenarios.
import type { Json } from '../dsl.js';

/** Every scenario's image: tagged, so imagePullPolicy defaults to IfNotPresent. */
export const IMAGE = 'busybox:1.36';

/** A container spec; the fake runtime scripts what it does, the command is only for show. */
export function ctr(name: string, extra: Json = {}): Json {
  return { name, image: IMAGE, command: ['sh', '-c', `run ${name}`], ...extra };
}

export const fp = (name: string) => `spec.containers{${name}}`;
export const fpInit = (name: string) => `spec.initContainers{${name}}`;
export const fpEph = (name: string) => `spec.ephemeralContainers{${name}}`;

/** Escapes a string for use inside a RegExp. */
export const re = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
