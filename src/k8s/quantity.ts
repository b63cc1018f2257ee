// resource.Quantity as apimachinery parses it (release-1.34,
// staging/src/k8s.io/apimachinery/pkg/api/resource/quantity.go): a signed
// decimal number with an optional suffix, binary (Ki..Ei), decimal SI (n, u,
// m, "", k, M, G, T, P, E) or an exponent (e3, E-2). Values are held exactly,
// in billionths (the parser rounds anything finer up to 1n), as a bigint.

/** The pattern apimachinery names in its format error. */
export const QUANTITY_PATTERN = '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$';
export const ERR_QUANTITY_FORMAT = `quantities must match the regular expression '${QUANTITY_PATTERN}'`;
export const ERR_QUANTITY_SUFFIX = "unable to parse quantity's suffix";
export const ERR_QUANTITY_NUMERIC = 'unable to parse numeric part of quantity';

const NANO = 1_000_000_000n;
const DECIMAL_SUFFIX: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIX: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };

export class QuantityError extends Error {
  override name = 'QuantityError';
}

export class Quantity {
  private constructor(
    /** The value in units of 1e-9, rounded up (away from zero) as ParseQuantity rounds. */
    readonly nanos: bigint,
    /** The text it was parsed from (the API keeps a canonical input as written). */
    readonly text: string,
  ) {}

  static zero(): Quantity {
    return new Quantity(0n, '0');
  }

  /** Parses a manifest value: a string in the quantity grammar, or a JSON/YAML number. */
  static parse(input: string | number): Quantity {
    const str = typeof input === 'number' ? numberText(input) : input;
    if (typeof str !== 'string' || str.length === 0) throw new QuantityError(ERR_QUANTITY_FORMAT);
    if (str === '0') return new Quantity(0n, str);
    const m = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(.*)$/.exec(str);
    if (!m || (m[2] === '' && m[3] === undefined)) throw new QuantityError(ERR_QUANTITY_FORMAT);
    const negative = m[1] === '-';
    const whole = m[2] ?? '';
    const frac = m[3] ?? '';
    const suffix = m[4] ?? '';
    // The scanner: suffix letters, then an optional sign and digits; anything else is a format error.
    if (!/^[eEinumkKMGTP]*([-+]?[0-9]*)$/.test(suffix)) throw new QuantityError(ERR_QUANTITY_FORMAT);
    let digits = BigInt((whole || '0') + frac);
    let scale10 = -frac.length; // value = digits * 10^scale10 * 2^scale2
    let scale2 = 0;
    if (suffix in BINARY_SUFFIX) scale2 = BINARY_SUFFIX[suffix]!;
    else if (suffix in DECIMAL_SUFFIX) scale10 += DECIMAL_SUFFIX[suffix]!;
    else if (/^[eE][-+]?[0-9]+$/.test(suffix)) scale10 += Number(suffix.slice(1));
    else throw new QuantityError(ERR_QUANTITY_SUFFIX);
    digits <<= BigInt(scale2);
    // To billionths, rounding up away from zero as inf.RoundUp does.
    const shift = scale10 + 9;
    let nanos: bigint;
    if (shift >= 0) nanos = digits * 10n ** BigInt(shift);
    else {
      const div = 10n ** BigInt(-shift);
      nanos = digits / div + (digits % div === 0n ? 0n : 1n);
    }
    return new Quantity(negative ? -nanos : nanos, str);
  }

  /** Parses, or returns the error message (for field validation). */
  static tryParse(input: unknown): Quantity | string {
    if (typeof input !== 'string' && typeof input !== 'number') return ERR_QUANTITY_FORMAT;
    try {
      return Quantity.parse(input);
    } catch (err) {
      return (err as Error).message;
    }
  }

  isZero(): boolean {
    return this.nanos === 0n;
  }

  sign(): number {
    return this.nanos === 0n ? 0 : this.nanos > 0n ? 1 : -1;
  }

  cmp(other: Quantity): number {
    return this.nanos === other.nanos ? 0 : this.nanos > other.nanos ? 1 : -1;
  }

  /** The sum; written in binary units (Ki..Ei) when both terms were, as Quantity.Add keeps the format. */
  add(other: Quantity): Quantity {
    if (other.nanos === 0n) return this;
    if (this.nanos === 0n) return other;
    const sum = this.nanos + other.nanos;
    return new Quantity(sum, isBinary(this.text) && isBinary(other.text) ? formatBinary(sum) : '');
  }

  /** Value(): whole units, rounded up (so 0.5 is 1 and 100m of memory is 1 byte). */
  value(): number {
    return Number(ceilDiv(this.nanos, NANO));
  }

  /** MilliValue(): thousandths, rounded up (cpu: millicores). */
  milliValue(): number {
    return Number(ceilDiv(this.nanos, 1_000_000n));
  }

  /** The value for messages: as written in the manifest when there is one. */
  toString(): string {
    if (this.text) return this.text;
    return formatNanos(this.nanos);
  }
}

function ceilDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a > 0n ? q + 1n : q;
}

function numberText(n: number): string {
  if (!Number.isFinite(n)) return '';
  // JSON numbers unmarshal through the same parser as strings.
  return Number.isInteger(n) ? BigInt(n).toString() : String(n).replace(/e\+?/, 'e');
}

const isBinary = (text: string): boolean => /[KMGTPE]i$/.test(text);

function formatBinary(n: bigint): string {
  if (n % NANO !== 0n) return formatNanos(n);
  let v = n / NANO;
  const units = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
  let i = 0;
  while (i < units.length - 1 && v !== 0n && v % 1024n === 0n) {
    v /= 1024n;
    i++;
  }
  return `${v}${units[i]}`;
}

function formatNanos(n: bigint): string {
  if (n % NANO === 0n) return (n / NANO).toString();
  if (n % 1_000_000n === 0n) return `${n / 1_000_000n}m`;
  if (n % 1_000n === 0n) return `${n / 1_000n}u`;
  return `${n}n`;
}
