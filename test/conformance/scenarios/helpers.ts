// Shared timing windows and status predicates of the §5–§11 scenarios
// (s05-…s11-*.ts). The kubelet timings here are the real defaults of a
// 1.34 kubelet; nothing is shortened by statelet flags.
import { custom, cstatus, type CheckContext, type Expectation, type Json, type Occ } from '../dsl.js';

/**
 * A reaction to a container's exit or a probe result: the generic PLEG
 * relists every 1 s (pkg/kubelet/pleg/generic.go), then a sync runs.
 */
export const IMMEDIATE_MS = 2500;

/**
 * The pod worker's retry after a sync error: backOffPeriod 10 s + up to 50 %
 * jitter (pkg/kubelet/pod_workers.go completeWork), plus the relist that saw
 * the fact. Used where nothing in the runtime changes, so no PLEG event wakes
 * the worker earlier.
 */
export const RETRY_MS: [number, number] = [9950, 16_500];

/**
 * A CrashLoopBackOff of `b` seconds, measured from the instance's exit: the
 * restart happens at the first pod sync after expiry. Up to 1.34 those syncs
 * are the 10–15 s retries (kubernetes#123602), so a 1.34 kubelet restarts up
 * to ~15 s (+ the relist) late; a restart exactly at expiry fits too.
 */
export const backoffWindow = (b: number): [number, number] => [b * 1000 - 50, b * 1000 + 16_500];

// ------------------------------------------------------------------ status

export const cond = (pod: Json, type: string): Json | undefined => ((pod['status']?.['conditions'] as Json[] | undefined) ?? []).find((c) => c['type'] === type);

/** Condition `type` has this status (and, when given, reason and message). */
export function condIs(pod: Json, type: string, status: 'True' | 'False', reason?: string, message?: string): boolean {
  const c = cond(pod, type);
  if (!c || c['status'] !== status) return false;
  if (reason !== undefined && (c['reason'] ?? '') !== reason) return false;
  if (message !== undefined && (c['message'] ?? '') !== message) return false;
  return true;
}

export const waitingOf = (pod: Json, name: string): Json | undefined => cstatus(pod, name)?.['state']?.['waiting'];
export const terminatedOf = (pod: Json, name: string): Json | undefined => cstatus(pod, name)?.['state']?.['terminated'];
export const lastTerminatedOf = (pod: Json, name: string): Json | undefined => cstatus(pod, name)?.['lastState']?.['terminated'];
export const readyOf = (pod: Json, name: string): unknown => cstatus(pod, name)?.['ready'];
export const startedOf = (pod: Json, name: string): unknown => cstatus(pod, name)?.['started'];
export const restartsOf = (pod: Json, name: string): unknown => cstatus(pod, name)?.['restartCount'];

/** `waiting` with this reason and (when given) this exact message. */
export function isWaiting(pod: Json, name: string, reason: string, message?: string): boolean {
  const w = waitingOf(pod, name);
  if (!w || (w['reason'] ?? '') !== reason) return false;
  return message === undefined || (w['message'] ?? '') === message;
}

// ------------------------------------------------------------------ expectations

const labelTime = (ctx: CheckContext, ref: string): number | undefined => {
  const end = ref.endsWith('.end');
  const o = ctx.labels.get(end ? ref.slice(0, -4) : ref);
  if (!o) return undefined;
  return end ? (o.tEnd ?? o.t) : o.t;
};

export interface Span {
  /** A label ('start', an action, a seq label; 'x.end' = end of call x) and an offset in ms. */
  from?: [string, number];
  to?: [string, number];
}

function podsIn(ctx: CheckContext, span: Span): Occ[] | string {
  const from = span.from ? labelTime(ctx, span.from[0]) : 0;
  const to = span.to ? labelTime(ctx, span.to[0]) : Infinity;
  if (from === undefined) return `label ${span.from![0]} was never reached`;
  if (to === undefined) return `label ${span.to![0]} was never reached`;
  const a = from + (span.from?.[1] ?? 0);
  const b = to + (span.to?.[1] ?? 0);
  return ctx.timeline.filter((o) => o.stream === 'pod' && o.t >= a && o.t <= b);
}

const spanDesc = (s: Span) =>
  `${s.from ? ` from ${s.from[0]}${s.from[1] ? `${s.from[1] > 0 ? '+' : ''}${s.from[1]} ms` : ''}` : ''}${s.to ? ` to ${s.to[0]}${s.to[1] ? `${s.to[1] > 0 ? '+' : ''}${s.to[1]} ms` : ''}` : ''}`;

/**
 * Pod lines between two labels, each bound moved by an offset: a status is
 * published a moment after the fact it reflects, so a window can start a
 * little after its label (the kubelet's status manager batches updates too).
 */
export function podsSpan(mode: 'every' | 'some' | 'none' | 'throughout', desc: string, span: Span, pred: (pod: Json) => boolean): Expectation {
  return custom(`${mode === 'throughout' ? 'the published status, throughout' : `${mode} Pod line`}${spanDesc(span)}: ${desc}`, (ctx) => {
    const lines = podsIn(ctx, span);
    if (typeof lines === 'string') return lines;
    if (mode === 'throughout') {
      // Lines are written on change only: the status in force at the window's
      // start is the last line before it.
      const t0 = lines[0]?.t ?? Infinity;
      const from = span.from ? (labelTime(ctx, span.from[0]) ?? 0) + span.from[1] : 0;
      const before = ctx.timeline.filter((o) => o.stream === 'pod' && o.t < Math.min(from, t0)).at(-1);
      const all = before ? [before, ...lines] : lines;
      if (all.length === 0) return 'no Pod line at all';
      const bad = all.find((o) => !pred(o.line!));
      return bad ? `this one does not: ${ctx.show(bad)}\n        ${JSON.stringify(bad.line!['status'])}` : null;
    }
    if (mode === 'every') {
      if (lines.length === 0) return 'no Pod line in the window';
      const bad = lines.find((o) => !pred(o.line!));
      return bad ? `this one does not: ${ctx.show(bad)}\n        ${JSON.stringify(bad.line!['status'])}` : null;
    }
    if (mode === 'some') return lines.some((o) => pred(o.line!)) ? null : `none of ${lines.length} Pod line(s) does`;
    const bad = lines.find((o) => pred(o.line!));
    return bad ? `but this one does: ${ctx.show(bad)}\n        ${JSON.stringify(bad.line!['status'])}` : null;
  });
}

/** getPhase / generateAPIPodStatus: once Failed or Succeeded, the phase never changes again. */
export function phaseStaysTerminal(): Expectation {
  return custom('once a Pod line shows Failed or Succeeded, every later one shows the same phase', (ctx) => {
    let terminal: string | undefined;
    for (const o of ctx.timeline) {
      if (o.stream !== 'pod') continue;
      const ph = o.line!['status']?.['phase'];
      if (terminal && ph !== terminal) return `phase went ${terminal} -> ${ph}: ${ctx.show(o)}`;
      if (ph === 'Failed' || ph === 'Succeeded') terminal = ph;
    }
    return null;
  });
}

/** Two labelled occurrences are at most `maxMs` apart (either order). */
export function closeTogether(a: string, b: string, maxMs: number): Expectation {
  return custom(`${a} and ${b} are at most ${maxMs} ms apart`, (ctx) => {
    const ta = labelTime(ctx, a);
    const tb = labelTime(ctx, b);
    if (ta === undefined || tb === undefined) return `label ${ta === undefined ? a : b} was never reached`;
    return Math.abs(ta - tb) <= maxMs ? null : `${Math.round(Math.abs(ta - tb))} ms apart`;
  });
}

/** The annotations a CreateContainer call carried. */
export const annotationsOf = (o: Occ | undefined): Record<string, string> => o?.call?.request.annotations ?? {};

/** JSON-equal after parsing (key order of Go's encoder is not asserted). */
export function jsonEqual(text: string | undefined, want: unknown): boolean {
  if (text === undefined) return false;
  try {
    return JSON.stringify(sortKeys(JSON.parse(text))) === JSON.stringify(sortKeys(want));
  } catch {
    return false;
  }
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v as object).sort()) out[k] = sortKeys((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

/**
 * statelet's own start-up (spawn to the first status line): ~1.1 s on an idle
 * machine, up to ~18 s measured on the 2-core box with the suite (and other
 * sessions' suites) running. Every deadline below is this plus the longest
 * the scenario's behaviour takes under a 1.34 kubelet's timings.
 */
// A deadline only bounds the run; every window is relative to what the run did, so a slow
// start on a loaded machine (30 s seen at load 18 on 2 cores) must not fail a scenario.
export const STARTUP_MS = 45_000;
export const withStartup = (behaviourMs: number): number => STARTUP_MS + behaviourMs;
