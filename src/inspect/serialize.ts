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
          if ((obj as unknown as Record<string, unknown>)[k] !== undefined) {
            e[k] = walk((obj as unknown as Record<string, unknown>)[k], depth + 1, k);
          }
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
