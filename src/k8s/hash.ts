// Container hash used to detect "definition changed" (kubelet HashContainer).
// Since 1.31 only the name and image are hashed, so changing anything else in the
// spec (env, probes, ...) never restarts a running container.
import type { Container } from './types.js';

const FNV32_OFFSET = 0x811c9dc5;
const FNV32_PRIME = 0x01000193;

/** FNV-1a, 32 bit, over raw bytes. */
export function fnv32a(bytes: Uint8Array): number {
  let h = FNV32_OFFSET;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, FNV32_PRIME) >>> 0;
  }
  return h >>> 0;
}

/**
 * JSON text as Go's encoding/json writes a map[string]string: keys sorted, and the
 * HTML-sensitive characters <, >, & plus U+2028/U+2029 escaped as \uXXXX.
 */
function goJsonStringMap(m: Record<string, string>): string {
  const body = Object.keys(m)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${JSON.stringify(m[k])}`)
    .join(',');
  return `{${body}}`.replace(/[<>&\u2028\u2029]/g, (ch) => '\\u' + ch.charCodeAt(0).toString(16).padStart(4, '0'));
}

/** Lowercase hex of FNV-32a over `{"image":...,"name":...}` (1.31+ fields only). */
export function containerHash(container: Pick<Container, 'name' | 'image'>): string {
  const json = goJsonStringMap({ name: container.name, image: container.image });
  return fnv32a(new TextEncoder().encode(json)).toString(16);
}
