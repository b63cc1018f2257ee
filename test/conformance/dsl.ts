// The expectation DSL of the kubelet conformance suite.
//
// Everything a scenario observes becomes an occurrence on one timeline (ms
// since the scenario started): CRI calls and container facts from the fake
// runtime, Event / Pod / Transition lines from statelet's NDJSON stdout, the
// runner's own actions, and the process exit. Expectations are checked over
// that timeline once the process has exited:
//
//   seq(...)            an ordered subsequence of occurrences, each step
//                       optionally labelled and bounded in time relative to
//                       an earlier label ("within [0, 2500] ms of exit0");
//   never(m) / count(m) absence and counts, optionally within a window;
//   everyPod / somePod / noPod / finalPod
//                       predicates over the Pod lines;
//   exitCode(...)       the process exit code, and how soon after a label.
import type { CallRecord, FactKind, FactRecord } from './fake-cri.js';

export type Json = Record<string, any>;

export type Stream = 'call' | 'fact' | 'event' | 'pod' | 'transition' | 'action' | 'exit';

export interface Occ {
  stream: Stream;
  /** ms since scenario start. */
  t: number;
  /** Calls: when the call was answered. */
  tEnd?: number;
  /** Position on the merged timeline. */
  ord: number;
  call?: CallRecord;
  fact?: FactRecord;
  /** Event / Pod / Transition line from stdout. */
  line?: Json;
  /** Action label / what it did. */
  action?: { label: string; what: string };
  exit?: { code: number | null; signal: string | null };
}

/** Times of labelled occurrences; 'start' is 0, 'exit' the process exit. */
export type Labels = Map<string, Occ>;

export interface Matcher {
  desc: string;
  stream: Stream;
  test(o: Occ, labels: Labels): boolean;
  /** A looser test (e.g. the same method and name), to show near misses. */
  loose?: (o: Occ) => boolean;
}

// ------------------------------------------------------------------ field matching

export type Num = number | [min: number, max: number];
export type Text = string | RegExp;

const numOk = (want: Num | undefined, got: number | undefined): boolean =>
  want === undefined || (got !== undefined && (typeof want === 'number' ? got === want : got >= want[0] && got <= want[1]));
const textOk = (want: Text | undefined, got: string | undefined): boolean =>
  want === undefined || (got !== undefined && (typeof want === 'string' ? got === want : want.test(got)));
const showNum = (n: Num) => (typeof n === 'number' ? String(n) : `[${n[0]}, ${n[1]}]`);
const showText = (t: Text) => (typeof t === 'string' ? JSON.stringify(t) : String(t));

export interface CallFields {
  /** Container name (container calls) or pod name (sandbox calls). */
  name?: string;
  attempt?: Num;
  sandboxAttempt?: Num;
  timeout?: Num;
  image?: string;
  cmd?: Text;
  /** true: the call failed; a code name: failed with that code; false: succeeded. */
  error?: boolean | string;
  /** Any further condition (may look up labelled occurrences). */
  where?: (c: CallRecord, labels: Labels) => boolean;
  /** Describes `where` in reports. */
  whereDesc?: string;
}

export function callMatcher(method: string, f: CallFields = {}): Matcher {
  const parts: string[] = [method];
  if (f.name !== undefined) parts.push(f.name);
  if (f.attempt !== undefined) parts.push(`attempt=${showNum(f.attempt)}`);
  if (f.sandboxAttempt !== undefined) parts.push(`sandboxAttempt=${showNum(f.sandboxAttempt)}`);
  if (f.timeout !== undefined) parts.push(`timeout=${showNum(f.timeout)}`);
  if (f.image !== undefined) parts.push(`image=${f.image}`);
  if (f.cmd !== undefined) parts.push(`cmd=${showText(f.cmd)}`);
  if (f.error !== undefined) parts.push(f.error === false ? 'ok' : f.error === true ? 'failing' : `failing ${f.error}`);
  if (f.where) parts.push(f.whereDesc ?? 'where(...)');
  return {
    desc: `call ${parts.join(' ')}`,
    stream: 'call',
    loose: (o) => o.call?.method === method && (f.name === undefined || o.call.request.name === f.name),
    test(o, labels) {
      const c = o.call;
      if (!c || c.method !== method) return false;
      const r = c.request;
      if (f.name !== undefined && r.name !== f.name) return false;
      if (!numOk(f.attempt, r.attempt)) return false;
      if (!numOk(f.sandboxAttempt, r.sandboxAttempt)) return false;
      if (!numOk(f.timeout, r.timeout)) return false;
      if (f.image !== undefined && r.image !== f.image) return false;
      if (!textOk(f.cmd, r.cmd?.join(' '))) return false;
      if (f.error === true && !c.error) return false;
      if (f.error === false && (c.error || c.cancelled)) return false;
      if (typeof f.error === 'string' && c.error?.codeName !== f.error) return false;
      if (f.where && !f.where(c, labels)) return false;
      return true;
    },
  };
}

export interface EventFields {
  type?: 'Normal' | 'Warning';
  reason?: string;
  message?: Text;
  /** null: a pod-level event (no fieldPath). */
  fieldPath?: string | null;
}

export function eventMatcher(f: EventFields): Matcher {
  const parts: string[] = [];
  if (f.type) parts.push(f.type);
  if (f.reason) parts.push(f.reason);
  if (f.fieldPath !== undefined) parts.push(f.fieldPath === null ? '(pod)' : f.fieldPath);
  if (f.message !== undefined) parts.push(showText(f.message));
  return {
    desc: `event ${parts.join(' ')}`,
    stream: 'event',
    loose: (o) => o.stream === 'event' && (!f.reason || o.line?.['reason'] === f.reason),
    test(o) {
      const e = o.line;
      if (!e || o.stream !== 'event') return false;
      if (f.type && e['type'] !== f.type) return false;
      if (f.reason && e['reason'] !== f.reason) return false;
      if (!textOk(f.message, e['message'])) return false;
      if (f.fieldPath !== undefined) {
        const fp = e['involvedObject']?.['fieldPath'] || null;
        if (fp !== f.fieldPath) return false;
      }
      return true;
    },
  };
}

export function factMatcher(kind: FactKind, f: { name?: string; attempt?: Num; exitCode?: Num } = {}): Matcher {
  const parts: string[] = [kind];
  if (f.name !== undefined) parts.push(f.name);
  if (f.attempt !== undefined) parts.push(`attempt=${showNum(f.attempt)}`);
  if (f.exitCode !== undefined) parts.push(`exitCode=${showNum(f.exitCode)}`);
  return {
    desc: `runtime: ${parts.join(' ')}`,
    stream: 'fact',
    loose: (o) => o.fact?.kind === kind && (f.name === undefined || o.fact.name === f.name),
    test(o) {
      const x = o.fact;
      if (!x || x.kind !== kind) return false;
      if (f.name !== undefined && x.name !== f.name) return false;
      if (!numOk(f.attempt, x.attempt)) return false;
      if (!numOk(f.exitCode, x.exitCode)) return false;
      return true;
    },
  };
}

export function actionMatcher(label: string): Matcher {
  return { desc: `action ${label}`, stream: 'action', test: (o) => o.action?.label === label };
}

export function podMatcher(desc: string, pred: (pod: Json) => boolean): Matcher {
  return { desc: `Pod line: ${desc}`, stream: 'pod', test: (o) => o.stream === 'pod' && !!o.line && pred(o.line) };
}

// ------------------------------------------------------------------ steps

/** Where a time bound is anchored: a label, optionally its end ('x.end'). */
export type Ref = string;

export class Step {
  labelName?: string;
  window?: { min: number; max: number; ref: Ref };
  /** Search for the first occurrence that also fits the window (default: the first by fields must fit). */
  anyFit = false;
  constructor(readonly m: Matcher) {}
  as(label: string): this {
    this.labelName = label;
    return this;
  }
  /** Occurs between min and max ms after `ref` (a label; 'x.end' = end of call x). */
  within(min: number, max: number, ref: Ref): this {
    this.window = { min, max, ref };
    return this;
  }
  /** Skip field matches outside the window instead of failing on the first one. */
  any(): this {
    this.anyFit = true;
    return this;
  }
  describe(): string {
    let s = this.m.desc;
    if (this.window) s += ` within [${this.window.min}, ${this.window.max}] ms of ${this.window.ref}`;
    if (this.labelName) s += ` (as ${this.labelName})`;
    return s;
  }
}

export const call = (method: string, f?: CallFields) => new Step(callMatcher(method, f));
export const event = (f: EventFields) => new Step(eventMatcher(f));
export const exited = (name: string, attempt?: Num, exitCode?: Num) => new Step(factMatcher('exited', { name, attempt, exitCode }));
export const fact = (kind: FactKind, f?: { name?: string; attempt?: Num; exitCode?: Num }) => new Step(factMatcher(kind, f));
export const action = (label: string) => new Step(actionMatcher(label));
export const podLine = (desc: string, pred: (pod: Json) => boolean) => new Step(podMatcher(desc, pred));

// ------------------------------------------------------------------ expectations

export interface CheckContext {
  timeline: Occ[];
  labels: Labels;
  /** Formats one occurrence for messages. */
  show(o: Occ): string;
}

export interface Expectation {
  desc: string;
  check(ctx: CheckContext): { ok: boolean; detail?: string };
}

/** Cross-stream order is only known to within a pipe's latency. */
const CROSS_STREAM_SLACK_MS = 300;

function refTime(ref: Ref, labels: Labels): number | undefined {
  const end = ref.endsWith('.end');
  const o = labels.get(end ? ref.slice(0, -4) : ref);
  if (!o) return undefined;
  return end ? (o.tEnd ?? o.t) : o.t;
}

function after(o: Occ, prev: Occ | undefined): boolean {
  if (!prev) return true;
  if (o.stream === prev.stream) return o.ord > prev.ord;
  return o.t >= prev.t - CROSS_STREAM_SLACK_MS && o !== prev;
}

const fmt = (n: number) => `${Math.round(n)}`;

/** An ordered subsequence: each step after the previous one, in its window. */
export function seq(...steps: Step[]): Expectation {
  return {
    desc: `in order:\n${steps.map((s, i) => `      ${i + 1}. ${s.describe()}`).join('\n')}`,
    check({ timeline, labels, show }) {
      let prev: Occ | undefined;
      for (let i = 0; i < steps.length; i++) {
        const st = steps[i]!;
        let base: number | undefined;
        if (st.window) {
          base = refTime(st.window.ref, labels);
          if (base === undefined) return { ok: false, detail: `step ${i + 1} (${st.describe()}): label ${st.window.ref} was never reached` };
        }
        const fits = (o: Occ) => base === undefined || (o.t - base >= st.window!.min && o.t - base <= st.window!.max);
        const candidates = timeline.filter((o) => o.stream === st.m.stream && after(o, prev) && st.m.test(o, labels));
        const found = st.anyFit ? candidates.find(fits) : candidates[0];
        if (!found) {
          const anywhere = timeline.filter((o) => o.stream === st.m.stream && st.m.test(o, labels));
          const rel = (o: Occ) => `        ${show(o)}${base !== undefined ? `  (${fmt(o.t - base)} ms after ${st.window!.ref})` : ''}`;
          const near = st.m.loose ? timeline.filter((o) => st.m.loose!(o)) : [];
          const seen = anywhere.length
            ? `matching occurrences, none after step ${i} / in the window:\n${anywhere.slice(0, 5).map(rel).join('\n')}`
            : near.length
              ? `no matching occurrence; near misses:\n${near.slice(0, 6).map(rel).join('\n')}`
              : 'no matching occurrence at all';
          return { ok: false, detail: `step ${i + 1} not satisfied: ${st.describe()}\n      saw ${seen}` };
        }
        if (!fits(found)) {
          return {
            ok: false,
            detail: `step ${i + 1}: ${st.describe()}\n      the first match came ${fmt(found.t - base!)} ms after ${st.window!.ref}: ${show(found)}`,
          };
        }
        if (st.labelName) labels.set(st.labelName, found);
        prev = found;
      }
      return { ok: true };
    },
  };
}

export interface WindowOpts {
  /** From this label (default: start). */
  from?: Ref;
  /** Until this label (default: end of the run). */
  to?: Ref;
}

function inWindow(o: Occ, w: WindowOpts | undefined, labels: Labels): boolean | undefined {
  if (!w) return true;
  if (w.from !== undefined) {
    const t = refTime(w.from, labels);
    if (t === undefined) return undefined;
    if (o.t < t) return false;
  }
  if (w.to !== undefined) {
    const t = refTime(w.to, labels);
    if (t === undefined) return undefined;
    if (o.t > t) return false;
  }
  return true;
}

const windowDesc = (w?: WindowOpts) => (w?.from || w?.to ? ` (from ${w.from ?? 'start'} to ${w.to ?? 'end'})` : '');

function selectIn(ctx: CheckContext, m: Matcher, w?: WindowOpts): Occ[] | string {
  const out: Occ[] = [];
  for (const o of ctx.timeline) {
    if (o.stream !== m.stream || !m.test(o, ctx.labels)) continue;
    const inside = inWindow(o, w, ctx.labels);
    if (inside === undefined) return `a window label (${w?.from ?? ''} ${w?.to ?? ''}) was never reached`;
    if (inside) out.push(o);
  }
  return out;
}

/** No occurrence matches (within the window). */
export function never(step: Step | Matcher, w?: WindowOpts): Expectation {
  const m = step instanceof Step ? step.m : step;
  return {
    desc: `never: ${m.desc}${windowDesc(w)}`,
    check(ctx) {
      const got = selectIn(ctx, m, w);
      if (typeof got === 'string') return { ok: false, detail: got };
      return got.length === 0 ? { ok: true } : { ok: false, detail: `but saw:\n${got.slice(0, 5).map((o) => `        ${ctx.show(o)}`).join('\n')}` };
    },
  };
}

/** How many occurrences match (within the window). */
export function count(step: Step | Matcher, want: { eq?: number; min?: number; max?: number }, w?: WindowOpts): Expectation {
  const m = step instanceof Step ? step.m : step;
  const wd = want.eq !== undefined ? `= ${want.eq}` : `${want.min !== undefined ? `>= ${want.min}` : ''}${want.min !== undefined && want.max !== undefined ? ' and ' : ''}${want.max !== undefined ? `<= ${want.max}` : ''}`;
  return {
    desc: `count ${wd}: ${m.desc}${windowDesc(w)}`,
    check(ctx) {
      const got = selectIn(ctx, m, w);
      if (typeof got === 'string') return { ok: false, detail: got };
      const n = got.length;
      const ok = (want.eq === undefined || n === want.eq) && (want.min === undefined || n >= want.min) && (want.max === undefined || n <= want.max);
      return ok ? { ok: true } : { ok: false, detail: `counted ${n}:\n${got.slice(0, 8).map((o) => `        ${ctx.show(o)}`).join('\n')}` };
    },
  };
}

function podLinesIn(ctx: CheckContext, w?: WindowOpts): Occ[] | string {
  const out: Occ[] = [];
  for (const o of ctx.timeline) {
    if (o.stream !== 'pod') continue;
    const inside = inWindow(o, w, ctx.labels);
    if (inside === undefined) return `a window label (${w?.from ?? ''} ${w?.to ?? ''}) was never reached`;
    if (inside) out.push(o);
  }
  return out;
}

/** Every Pod line in the window satisfies `pred` (and there is at least one). */
export function everyPod(desc: string, pred: (pod: Json) => boolean, w?: WindowOpts): Expectation {
  return {
    desc: `every Pod line${windowDesc(w)}: ${desc}`,
    check(ctx) {
      const lines = podLinesIn(ctx, w);
      if (typeof lines === 'string') return { ok: false, detail: lines };
      if (lines.length === 0) return { ok: false, detail: 'no Pod line in the window' };
      const bad = lines.find((o) => !pred(o.line!));
      return bad ? { ok: false, detail: `this one does not: ${ctx.show(bad)}\n        ${JSON.stringify(bad.line!['status'])}` } : { ok: true };
    },
  };
}

/** Some Pod line in the window satisfies `pred`. */
export function somePod(desc: string, pred: (pod: Json) => boolean, w?: WindowOpts): Expectation {
  return {
    desc: `some Pod line${windowDesc(w)}: ${desc}`,
    check(ctx) {
      const lines = podLinesIn(ctx, w);
      if (typeof lines === 'string') return { ok: false, detail: lines };
      return lines.some((o) => pred(o.line!)) ? { ok: true } : { ok: false, detail: `none of ${lines.length} Pod line(s) does` };
    },
  };
}

/** No Pod line in the window satisfies `pred`. */
export function noPod(desc: string, pred: (pod: Json) => boolean, w?: WindowOpts): Expectation {
  return {
    desc: `no Pod line${windowDesc(w)}: ${desc}`,
    check(ctx) {
      const lines = podLinesIn(ctx, w);
      if (typeof lines === 'string') return { ok: false, detail: lines };
      const bad = lines.find((o) => pred(o.line!));
      return bad ? { ok: false, detail: `but this one does: ${ctx.show(bad)}\n        ${JSON.stringify(bad.line!['status'])}` } : { ok: true };
    },
  };
}

/** The last Pod line satisfies `pred`. */
export function finalPod(desc: string, pred: (pod: Json) => boolean): Expectation {
  return {
    desc: `the final Pod line: ${desc}`,
    check(ctx) {
      const last = ctx.timeline.filter((o) => o.stream === 'pod').at(-1);
      if (!last) return { ok: false, detail: 'there is no Pod line' };
      return pred(last.line!) ? { ok: true } : { ok: false, detail: `it is: ${ctx.show(last)}\n        ${JSON.stringify(last.line!['status'])}` };
    },
  };
}

/** The process exit code, optionally within [min, max] ms of a label. */
export function exitCode(code: number, bound?: { within: [number, number]; of: Ref }): Expectation {
  return {
    desc: `the process exits with code ${code}${bound ? ` within [${bound.within[0]}, ${bound.within[1]}] ms of ${bound.of}` : ''}`,
    check(ctx) {
      const ex = ctx.labels.get('exit');
      if (!ex?.exit) return { ok: false, detail: 'the process did not exit by the scenario deadline' };
      if (ex.exit.code !== code) return { ok: false, detail: `it exited with ${ex.exit.code ?? ex.exit.signal} at +${fmt(ex.t)} ms` };
      if (bound) {
        const base = refTime(bound.of, ctx.labels);
        if (base === undefined) return { ok: false, detail: `label ${bound.of} was never reached` };
        const d = ex.t - base;
        if (d < bound.within[0] || d > bound.within[1]) return { ok: false, detail: `it exited ${fmt(d)} ms after ${bound.of}` };
      }
      return { ok: true };
    },
  };
}

/** Any hand-written check over the timeline. */
export function custom(desc: string, fn: (ctx: CheckContext) => string | null): Expectation {
  return {
    desc,
    check(ctx) {
      const err = fn(ctx);
      return err === null ? { ok: true } : { ok: false, detail: err };
    },
  };
}

// ------------------------------------------------------------------ Pod status helpers

/** The status of container `name` in a Pod line (regular, init or ephemeral). */
export function cstatus(pod: Json, name: string): Json | undefined {
  const st = pod['status'] ?? {};
  for (const k of ['containerStatuses', 'initContainerStatuses', 'ephemeralContainerStatuses']) {
    const found = ((st[k] as Json[] | undefined) ?? []).find((c) => c['name'] === name);
    if (found) return found;
  }
  return undefined;
}

export const phaseOf = (pod: Json): string | undefined => pod['status']?.['phase'];

/** 'waiting:<reason>' | 'running' | 'terminated:<code>' | 'none'. */
export function stateOf(pod: Json, name: string): string {
  const s = cstatus(pod, name)?.['state'] ?? {};
  if (s['waiting']) return `waiting:${s['waiting']['reason'] ?? ''}`;
  if (s['running']) return 'running';
  if (s['terminated']) return `terminated:${s['terminated']['exitCode']}`;
  return 'none';
}
