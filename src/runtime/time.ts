// Nanosecond wall-clock timestamps. CRI timestamps are int64 ns since the
// epoch; Date.now() only has ms, so the wall clock at load time is advanced
// by the monotonic hrtime clock (also keeps them strictly increasing).
const wall0 = BigInt(Date.now()) * 1_000_000n;
const hr0 = process.hrtime.bigint();
let last = 0n;

export function nowNs(): bigint {
  let t = wall0 + (process.hrtime.bigint() - hr0);
  if (t <= last) t = last + 1n;
  last = t;
  return t;
}

/** Go's time.RFC3339Nano (what containerd writes in CRI logs): trailing zeros trimmed, UTC `Z`. */
export function rfc3339Nano(ns: bigint): string {
  const iso = new Date(Number(ns / 1_000_000n)).toISOString();
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return `${iso.slice(0, 19)}${frac ? `.${frac}` : ''}Z`;
}
