import { readFileSync } from 'node:fs';
// The codes from a local table and yaml on first use: the package entry
// re-exports loadFaultFile, and importing it must not load grpc-js or yaml.
import { grpcStatusCode } from '../cri/grpc-status.js';
import { yaml } from '../lazy-deps.js';
import { loadCriProto } from '../cri/proto.js';

/** A rule injecting a failure, delay or hang into matching CRI calls (before the real handler runs). */
export interface FaultRule {
  /** RuntimeService or ImageService method name (e.g. 'StartContainer'), or '*'. */
  method: string;
  /** Container metadata name (container calls) or sandbox metadata name (sandbox calls). */
  name?: string;
  /** Image reference (as sent or normalized) of the call or of the container. */
  image?: string;
  /** Apply to the first N matching calls, then expire; default unlimited. */
  times?: number;
  /** gRPC code name ('UNKNOWN', 'NOT_FOUND', ...) or number; the call fails with it (after delayMs). */
  code?: string | number;
  message?: string;
  /** Wait this long, then proceed (or fail, when code is set). */
  delayMs?: number;
  /** Never answer; the call ends when the client cancels or its deadline passes. */
  hang?: boolean;
  /**
   * StartContainer only: leave the container as containerd leaves a failed start (EXITED,
   * exit 128, StartError) instead of untouched (CREATED).
   */
  leaveExited?: boolean;
}

export interface FaultController {
  add(rule: FaultRule): string;
  remove(id: string): void;
  clear(): void;
  list(): (FaultRule & { id: string; hits: number })[];
}

/** What a call is about, for matching `name`/`image`. */
export interface FaultSubject {
  name?: string;
  images?: string[];
}

const RULE_KEYS = new Set(['method', 'name', 'image', 'times', 'code', 'message', 'delayMs', 'hang', 'leaveExited']);

let methodNames: Set<string> | undefined;
function knownMethods(): Set<string> {
  if (!methodNames) {
    const { pkg } = loadCriProto();
    methodNames = new Set([...Object.keys(pkg.RuntimeService.service), ...Object.keys(pkg.ImageService.service)]);
  }
  return methodNames;
}

/** Resolves a code name or number to a gRPC status number, or undefined when unknown. */
export function grpcCodeOf(code: string | number): number | undefined {
  if (typeof code === 'number') return Number.isInteger(code) && code >= 0 && code <= 16 ? code : undefined;
  const key = code.trim().toUpperCase();
  const v = grpcStatusCode(key);
  if (v !== undefined) return v;
  if (/^\d+$/.test(key)) return grpcCodeOf(Number(key));
  return undefined;
}

/** Checks one rule; throws `Error('<where>.<field>: ...')`. Returns a clean copy. */
export function validateFaultRule(raw: unknown, where = 'fault'): FaultRule {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new Error(`${where}: must be a mapping, got ${JSON.stringify(raw)}`);
  const r = raw as Record<string, unknown>;
  for (const k of Object.keys(r)) if (!RULE_KEYS.has(k)) throw new Error(`${where}: unknown field "${k}"`);
  const out: FaultRule = { method: '' };
  if (typeof r.method !== 'string' || r.method === '') throw new Error(`${where}.method: required (a CRI method name or "*")`);
  if (r.method !== '*' && !knownMethods().has(r.method)) throw new Error(`${where}.method: unknown CRI method "${r.method}"`);
  out.method = r.method;
  for (const k of ['name', 'image', 'message'] as const) {
    if (r[k] === undefined) continue;
    if (typeof r[k] !== 'string') throw new Error(`${where}.${k}: must be a string`);
    out[k] = r[k] as string;
  }
  if (r.times !== undefined) {
    if (typeof r.times !== 'number' || !Number.isInteger(r.times) || r.times < 1) throw new Error(`${where}.times: must be a positive integer`);
    out.times = r.times;
  }
  if (r.code !== undefined) {
    if ((typeof r.code !== 'string' && typeof r.code !== 'number') || grpcCodeOf(r.code) === undefined) {
      throw new Error(`${where}.code: unknown gRPC code ${JSON.stringify(r.code)}`);
    }
    if (grpcCodeOf(r.code) === 0) throw new Error(`${where}.code: OK is not a fault (use delayMs alone for a delay)`);
    out.code = r.code;
  }
  if (r.delayMs !== undefined) {
    if (typeof r.delayMs !== 'number' || !Number.isFinite(r.delayMs) || r.delayMs < 0) throw new Error(`${where}.delayMs: must be a non-negative number`);
    out.delayMs = r.delayMs;
  }
  if (r.hang !== undefined) {
    if (typeof r.hang !== 'boolean') throw new Error(`${where}.hang: must be true or false`);
    out.hang = r.hang;
  }
  if (r.leaveExited !== undefined) {
    if (typeof r.leaveExited !== 'boolean') throw new Error(`${where}.leaveExited: must be true or false`);
    out.leaveExited = r.leaveExited;
  }
  if (out.code === undefined && out.delayMs === undefined && !out.hang) {
    throw new Error(`${where}: needs at least one of code, delayMs, hang`);
  }
  return out;
}

/** Reads a YAML fault file: a list of rules, or `{ rules: [...] }`. Errors name the file and field. */
export function loadFaultFile(path: string): FaultRule[] {
  let doc: unknown;
  try {
    doc = yaml().parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`fault file ${path}: ${(err as Error).message}`);
  }
  if (doc === null || doc === undefined) return [];
  let list: unknown = doc;
  if (!Array.isArray(doc)) {
    if (typeof doc !== 'object') throw new Error(`fault file ${path}: expected a list of rules or { rules: [...] }`);
    const keys = Object.keys(doc as object).filter((k) => k !== 'rules');
    if (keys.length) throw new Error(`fault file ${path}: unknown top-level field "${keys[0]}" (expected "rules")`);
    list = (doc as { rules?: unknown }).rules ?? [];
    if (!Array.isArray(list)) throw new Error(`fault file ${path}: rules must be a list`);
  }
  try {
    return (list as unknown[]).map((r, i) => validateFaultRule(r, `faults[${i}]`));
  } catch (err) {
    throw new Error(`fault file ${path}: ${(err as Error).message}`);
  }
}

interface ActiveRule {
  id: string;
  rule: FaultRule;
  hits: number;
  code?: number;
}

/** The decision for one call. */
export interface FaultHit {
  id: string;
  delayMs: number;
  hang: boolean;
  code?: number;
  message: string;
  leaveExited: boolean;
}

export class FaultEngine implements FaultController {
  private rules: ActiveRule[] = [];
  private seq = 0;

  constructor(initial: FaultRule[] = []) {
    initial.forEach((r, i) => this.addChecked(r, `faults[${i}]`));
  }

  add(rule: FaultRule): string {
    return this.addChecked(rule, 'fault');
  }

  private addChecked(rule: FaultRule, where: string): string {
    const clean = validateFaultRule(rule, where);
    const id = `fault-${++this.seq}`;
    this.rules.push({ id, rule: clean, hits: 0, code: clean.code === undefined ? undefined : grpcCodeOf(clean.code) });
    return id;
  }

  remove(id: string): void {
    this.rules = this.rules.filter((r) => r.id !== id);
  }

  clear(): void {
    this.rules = [];
  }

  /** Expired rules (times reached) stay listed with their hit count but no longer match. */
  list(): (FaultRule & { id: string; hits: number })[] {
    return this.rules.map((r) => ({ ...r.rule, id: r.id, hits: r.hits }));
  }

  /** Cheap pre-check so calls without any candidate rule skip subject lookup. */
  hasCandidates(method: string): boolean {
    if (this.rules.length === 0) return false;
    return this.rules.some((r) => (r.rule.method === '*' || r.rule.method === method) && (r.rule.times === undefined || r.hits < r.rule.times));
  }

  /** First live rule matching the call; counts the hit. */
  match(method: string, subject: () => FaultSubject): FaultHit | undefined {
    let subj: FaultSubject | undefined;
    for (const r of this.rules) {
      const rule = r.rule;
      if (rule.method !== '*' && rule.method !== method) continue;
      if (rule.times !== undefined && r.hits >= rule.times) continue;
      if (rule.name !== undefined || rule.image !== undefined) subj ??= subject();
      if (rule.name !== undefined && subj!.name !== rule.name) continue;
      if (rule.image !== undefined && !(subj!.images ?? []).includes(rule.image)) continue;
      r.hits++;
      return {
        id: r.id,
        delayMs: rule.delayMs ?? 0,
        hang: rule.hang === true,
        leaveExited: rule.leaveExited === true,
        code: r.code,
        message: rule.message ?? `injected fault ${r.id} (${method})`,
      };
    }
    return undefined;
  }
}
