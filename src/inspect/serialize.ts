// Turns arbitrary actor data (snapshots, events, context) into JSON-safe plain
// values. Mirrors what @statelyai/inspect does with safe-stable-stringify
// (depth limit, functions → { type: name }, cycles cut) and adds bounds on
// string and array size so one huge context cannot stall the event loop.

export interface PlainOptions {
  /** Objects nested deeper than this become '[Object]' / '[Array]'. Default 10 (Stately's default). */
  maxDepth?: number;
  /** Longer strings are cut. Default 8192. */
  maxString?: number;
  /** Longer arrays are cut (a marker string is appended). Default 1000. */
  maxArray?: number;
}

export function toPlain(value: unknown, opts: PlainOptions = {}): unknown {
  const maxDepth = opts.maxDepth ?? 10;
  const maxString = opts.maxString ?? 8192;
  const maxArray = opts.maxArray ?? 1000;
  const ancestors: object[] = [];

  function walk(v: unknown, depth: number, key: string): unknown {
    switch (typeof v) {
      case 'string':
        return v.length > maxString ? `${v.slice(0, maxString)}…(${v.length - maxString} more chars)` : v;
      case 'number':
        return Number.isFinite(v) ? v : null;
      case 'boolean':
        return v;
      case 'bigint':
        return v.toString();
      case 'function':
        return { type: (v as { name?: string }).name || 'anonymous' };
      case 'undefined':
      case 'symbol':
        return undefined;
    }
    if (v === null) return null;
    let obj = v as Record<string, unknown> & { toJSON?: (k: string) => unknown };
    if (typeof obj.toJSON === 'function') {
      let j: unknown;
      try {
        j = obj.toJSON(key);
      } catch {
        return '[Unserializable]';
      }
      if (j === null || typeof j !== 'object') return walk(j, depth, key);
      obj = j as typeof obj;
    }
    if (ancestors.includes(obj)) return '[Circular]';
    if (depth >= maxDepth) return Array.isArray(obj) ? '[Array]' : '[Object]';
    ancestors.push(obj);
    try {
      if (obj instanceof Error) {
        const e: Record<string, unknown> = { name: obj.name, message: obj.message };
        for (const k of ['code', 'details', 'reason', 'exitCode'] as const) {
          const v: unknown = Reflect.get(obj, k);
          if (v !== undefined) e[k] = walk(v, depth + 1, k);
        }
        if (obj.cause !== undefined) e.cause = walk(obj.cause, depth + 1, 'cause');
        return e;
      }
      if (Array.isArray(obj) || obj instanceof Set) {
        const arr = Array.isArray(obj) ? obj : [...obj];
        const n = Math.min(arr.length, maxArray);
        const out: unknown[] = new Array(n);
        for (let i = 0; i < n; i++) {
          const x = walk(arr[i], depth + 1, String(i));
          out[i] = x === undefined ? null : x;
        }
        if (arr.length > maxArray) out.push(`…(${arr.length - maxArray} more items)`);
        return out;
      }
      if (obj instanceof Map) {
        const out: Record<string, unknown> = {};
        for (const [k, x] of obj) {
          const w = walk(x, depth + 1, String(k));
          if (w !== undefined) out[String(k)] = w;
        }
        return out;
      }
      if (ArrayBuffer.isView(obj)) return `[${obj.constructor.name} ${obj.byteLength} bytes]`;
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(obj)) {
        let x: unknown;
        try {
          x = obj[k];
        } catch {
          x = '[Unreadable]';
        }
        const w = walk(x, depth + 1, k);
        if (w !== undefined) out[k] = w;
      }
      return out;
    } finally {
      ancestors.pop();
    }
  }

  return walk(value, 0, '');
}

/** `JSON.stringify(toPlain(value))`, never throws. */
export function safeStringify(value: unknown, opts?: PlainOptions): string {
  try {
    return JSON.stringify(toPlain(value, opts)) ?? 'null';
  } catch {
    return '"[Unserializable]"';
  }
}

interface Cached {
  json: string;
  /** Nesting below this object (0: only scalars inside). */
  height: number;
}

/**
 * `JSON.stringify(toPlain(value, opts))` for a stream of snapshots, with a
 * cache of the JSON of every plain object and array it has seen. XState
 * contexts are immutable and keep unchanged parts by reference across
 * snapshots (a container's `pod`, `container` and `config` never change), so
 * each is walked and stringified once instead of once per snapshot. The
 * cache is weak: it holds nothing alive. (An object mutated in place after it
 * was cached would be shown stale; XState forbids that for context.)
 */
export class PlainStringifier {
  private cache = new WeakMap<object, Cached>();
  private readonly maxDepth: number;
  private readonly maxString: number;
  private readonly maxArray: number;

  constructor(opts: PlainOptions = {}) {
    this.maxDepth = opts.maxDepth ?? 10;
    this.maxString = opts.maxString ?? 8192;
    this.maxArray = opts.maxArray ?? 1000;
  }

  /** Same text as `safeStringify(value, opts)`. */
  stringify(value: unknown): string {
    try {
      return this.walk(value, 0, '', [])?.json ?? 'null';
    } catch {
      return safeStringify(value, { maxDepth: this.maxDepth, maxString: this.maxString, maxArray: this.maxArray });
    }
  }

  /** undefined: the value is omitted (undefined, symbol). `height` -1 marks output that must not be cached (cut or circular). */
  private walk(v: unknown, depth: number, key: string, ancestors: object[]): Cached | undefined {
    switch (typeof v) {
      case 'string':
        return { json: JSON.stringify(v.length > this.maxString ? `${v.slice(0, this.maxString)}…(${v.length - this.maxString} more chars)` : v), height: 0 };
      case 'number':
        return { json: Number.isFinite(v) ? String(v) : 'null', height: 0 };
      case 'boolean':
        return { json: v ? 'true' : 'false', height: 0 };
      case 'bigint':
        return { json: JSON.stringify(v.toString()), height: 0 };
      case 'function':
        return { json: JSON.stringify({ type: (v as { name?: string }).name || 'anonymous' }), height: 1 };
      case 'undefined':
      case 'symbol':
        return undefined;
    }
    if (v === null) return { json: 'null', height: 0 };
    let obj = v as object;
    const toJSON = (obj as { toJSON?: unknown }).toJSON;
    // What toJSON gives may change while the object stays the same: never cached, nor its parents.
    const viaToJSON = typeof toJSON === 'function';
    if (viaToJSON) {
      // An XState snapshot (its toJSON drops the machine), an actor ref, a Date: walk what it gives.
      let j: unknown;
      try {
        j = (toJSON as (k: string) => unknown).call(obj, key);
      } catch {
        return { json: '"[Unserializable]"', height: -1 };
      }
      if (j === null || typeof j !== 'object') {
        const c = this.walk(j, depth, key, ancestors);
        return c && { json: c.json, height: -1 };
      }
      obj = j;
    }
    const plainProto = Object.getPrototypeOf(obj);
    const cacheable = Array.isArray(obj) || plainProto === Object.prototype || plainProto === null;
    if (cacheable) {
      const hit = this.cache.get(obj);
      // Reusable when nothing inside was cut at the depth it was first seen, nor would be here.
      if (hit && hit.height >= 0 && depth + hit.height < this.maxDepth) return hit;
    } else {
      // Maps, Sets, Errors, typed arrays: toPlain's rules, uncached.
      const plain = toPlain(obj, { maxDepth: this.maxDepth - depth, maxString: this.maxString, maxArray: this.maxArray });
      const json = JSON.stringify(plain);
      return json === undefined ? undefined : { json, height: -1 };
    }
    if (ancestors.includes(obj)) return { json: '"[Circular]"', height: -1 };
    if (depth >= this.maxDepth) return { json: Array.isArray(obj) ? '"[Array]"' : '"[Object]"', height: -1 };
    ancestors.push(obj);
    let height = 0;
    let pure = true;
    let json: string;
    try {
      if (Array.isArray(obj)) {
        const n = Math.min(obj.length, this.maxArray);
        const parts: string[] = new Array(n);
        for (let i = 0; i < n; i++) {
          const c = this.walk(obj[i], depth + 1, String(i), ancestors);
          parts[i] = c ? c.json : 'null';
          if (c) {
            if (c.height < 0) pure = false;
            else if (c.height + 1 > height) height = c.height + 1;
          }
        }
        if (obj.length > this.maxArray) {
          parts.push(JSON.stringify(`…(${obj.length - this.maxArray} more items)`));
          pure = false;
        }
        json = `[${parts.join(',')}]`;
      } else {
        const parts: string[] = [];
        for (const k of Object.keys(obj)) {
          let x: unknown;
          try {
            x = (obj as Record<string, unknown>)[k];
          } catch {
            x = '[Unreadable]';
          }
          const c = this.walk(x, depth + 1, k, ancestors);
          if (!c) continue;
          parts.push(`${JSON.stringify(k)}:${c.json}`);
          if (c.height < 0) pure = false;
          else if (c.height + 1 > height) height = c.height + 1;
        }
        json = `{${parts.join(',')}}`;
      }
    } finally {
      ancestors.pop();
    }
    const out: Cached = { json, height: pure && !viaToJSON ? height : -1 };
    if (out.height >= 0) this.cache.set(obj, out);
    return out;
  }
}
