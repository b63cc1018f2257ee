// Formatting helpers that reproduce the exact text the kubelet writes into
// events, waiting messages and logs.
import type { Pod } from './types.js';

/** kubelet `format.Pod(pod)`: `<name>_<namespace>(<uid>)`. */
export function formatPod(pod: Pick<Pod, 'metadata'>): string {
  const m = pod.metadata;
  return `${m.name}_${m.namespace ?? ''}(${m.uid ?? ''})`;
}

/** Go's fmtFrac: fraction digits of v / 10^prec with trailing zeros (and a bare '.') dropped. */
function fmtFrac(v: bigint, prec: number): [string, bigint] {
  let digits = '';
  let print = false;
  for (let i = 0; i < prec; i++) {
    const digit = v % 10n;
    print = print || digit !== 0n;
    if (print) digits = digit.toString() + digits;
    v /= 10n;
  }
  return [print ? '.' + digits : '', v];
}

/**
 * Go `time.Duration.String()` for a duration given in milliseconds (fractions allowed,
 * resolved to whole nanoseconds): 0s, 500ms, 1.5s, 10s, 1m20s, 5m0s, 1h0m0s.
 * The kubelet prints back-off durations with it (`back-off 1m20s restarting ...`).
 */
export function goDuration(ms: number): string {
  let ns = BigInt(Math.round(ms * 1e6));
  const neg = ns < 0n;
  if (neg) ns = -ns;
  let out: string;
  if (ns === 0n) return '0s';
  if (ns < 1_000_000_000n) {
    let unit: string;
    let prec: number;
    if (ns < 1_000n) {
      unit = 'ns';
      prec = 0;
    } else if (ns < 1_000_000n) {
      unit = 'µs';
      prec = 3;
    } else {
      unit = 'ms';
      prec = 6;
    }
    const [frac, whole] = fmtFrac(ns, prec);
    out = `${whole}${frac}${unit}`;
  } else {
    const [frac, secsTotal] = fmtFrac(ns, 9);
    let u = secsTotal;
    out = `${u % 60n}${frac}s`;
    u /= 60n;
    if (u > 0n) {
      out = `${u % 60n}m` + out;
      u /= 60n;
      if (u > 0n) out = `${u}h` + out;
    }
  }
  return neg ? '-' + out : out;
}

/** metav1.Time serialisation: RFC3339 at second precision in UTC (`2024-05-01T12:00:00Z`). */
export function rfc3339(ms: number): string {
  const second = Math.floor(ms / 1000);
  // Statuses and events of one burst share their second: formatting it once is most of the
  // cost of this function in the pod-start profile (toISOString plus the regex).
  if (second !== lastSecond) {
    lastSecond = second;
    lastText = new Date(second * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
  return lastText;
}
let lastSecond = Number.NaN;
let lastText = '';

/** Parses an RFC3339 timestamp back to epoch milliseconds (NaN when absent/invalid). */
export function parseRfc3339(ts: string | undefined): number {
  return ts ? Date.parse(ts) : Number.NaN;
}

/**
 * apimachinery duration.HumanDuration (the Age column of kubectl): 45s, 5m30s, 15m, 3h20m, 2d4h ...
 */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.trunc(hours / 24)}d` : `${Math.trunc(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = Math.trunc(hours / 24) % 365;
    const y = Math.trunc(hours / 24 / 365);
    return dy === 0 ? `${y}y` : `${y}y${dy}d`;
  }
  return `${Math.trunc(hours / 24 / 365)}y`;
}
