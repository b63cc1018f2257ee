// Pure helpers over XState machines and their `toJSON()` form, shared by the
// inspection server, the Mermaid exporter and the browser visualizer (which
// bundles this file: no node imports).

import type { MachineJSON, StateNodeJSON, TransitionJSON } from './protocol.js';

const COMBINATORS: Record<string, string> = { and: ' && ', or: ' || ' };

function wrap(s: string): string {
  return /[\s&|]/.test(s) ? `(${s})` : s;
}

/**
 * A readable name for a transition guard as XState stores it: a string
 * (named guard), `{ type, params }`, or a function (inline guard, or the
 * `not`/`and`/`or`/`stateIn` combinators, which keep their operands on the
 * function object).
 */
export function guardLabel(guard: unknown): string | undefined {
  if (guard === undefined || guard === null) return undefined;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') {
    const f = guard as { name?: string; guards?: unknown[]; stateValue?: unknown };
    if (Array.isArray(f.guards)) {
      const parts = f.guards.map((g) => guardLabel(g) ?? '?');
      if (f.name === 'not') return `!${wrap(parts[0] ?? '?')}`;
      const sep = COMBINATORS[f.name ?? ''];
      if (sep) return parts.map(wrap).join(sep);
    }
    if (f.name === 'stateIn' && f.stateValue !== undefined) {
      return `in(${typeof f.stateValue === 'string' ? f.stateValue : JSON.stringify(f.stateValue)})`;
    }
    // An inline arrow function assigned to `guard:` is named "guard".
    return f.name && f.name !== 'guard' ? f.name : 'inline';
  }
  if (typeof guard === 'object' && 'type' in (guard as object)) {
    return guardLabel((guard as { type: unknown }).type);
  }
  return undefined;
}

export type EventKind =
  | 'event'
  | 'after'
  | 'always'
  | 'done.actor'
  | 'error.actor'
  | 'done.state'
  | 'wildcard'
  | 'init'
  | 'stop';

export interface EventInfo {
  kind: EventKind;
  /** Short human label: `START`, `after backOff`, `after 200ms`, `always`, `done: pullImage`. */
  label: string;
  /** For `after` events. */
  delay?: string | number;
}

/** Name of the invoked logic behind an invoke id, looked up in the source state. */
function invokeName(invokeId: string, state?: StateNodeJSON): string {
  const inv = state?.invoke?.find((i) => i.id === invokeId);
  if (inv && typeof inv.src === 'string' && !inv.src.startsWith('xstate.invoke.')) return inv.src;
  return invokeId;
}

/**
 * Parses XState's internal event types. `after` transitions appear as
 * `xstate.after.<delay>.<sourceStateId>`; pass the source state id to cut the
 * suffix exactly (named delays may contain dots).
 */
export function describeEventType(eventType: string, source?: StateNodeJSON | string): EventInfo {
  const state = typeof source === 'object' ? source : undefined;
  const sourceId = typeof source === 'string' ? source : source?.id;
  if (eventType === '') return { kind: 'always', label: 'always' };
  if (eventType === '*') return { kind: 'wildcard', label: '*' };
  if (eventType === 'xstate.init') return { kind: 'init', label: 'init' };
  if (eventType === 'xstate.stop') return { kind: 'stop', label: 'stop' };
  if (eventType.startsWith('xstate.after.')) {
    const rest = eventType.slice('xstate.after.'.length);
    let raw: string;
    if (sourceId && rest.endsWith(`.${sourceId}`)) raw = rest.slice(0, rest.length - sourceId.length - 1);
    else raw = rest.split('.')[0] ?? rest;
    const delay: string | number = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
    return { kind: 'after', delay, label: `after ${typeof delay === 'number' ? `${delay}ms` : delay}` };
  }
  if (eventType.startsWith('xstate.done.actor.')) {
    return { kind: 'done.actor', label: `done: ${invokeName(eventType.slice(18), state)}` };
  }
  if (eventType.startsWith('xstate.error.actor.')) {
    return { kind: 'error.actor', label: `error: ${invokeName(eventType.slice(19), state)}` };
  }
  if (eventType.startsWith('xstate.done.state.')) return { kind: 'done.state', label: 'done' };
  return { kind: 'event', label: eventType };
}

/** `EVENT [guard]`, `after backOff [guard]`, `always`. */
export function transitionLabel(
  t: { eventType: string; guard?: unknown; delay?: string | number },
  source?: StateNodeJSON | string,
): string {
  const info = describeEventType(t.eventType, source);
  let label = info.label;
  // toJSON keeps the configured delay on `after` transitions; prefer it.
  if (info.kind === 'after' && t.delay !== undefined) {
    label = `after ${typeof t.delay === 'number' ? `${t.delay}ms` : t.delay}`;
  }
  const g = typeof t.guard === 'string' ? t.guard : guardLabel(t.guard);
  return g ? `${label} [${g}]` : label;
}

/** `#machine.a.b` → `machine.a.b`. */
export function targetId(target: string): string {
  return target.startsWith('#') ? target.slice(1) : target;
}

/** Depth-first walk over a machine JSON (parents before children). */
export function walkStates(
  root: StateNodeJSON,
  fn: (state: StateNodeJSON, parent: StateNodeJSON | undefined, depth: number) => void,
): void {
  const visit = (s: StateNodeJSON, parent: StateNodeJSON | undefined, depth: number): void => {
    fn(s, parent, depth);
    for (const child of Object.values(s.states ?? {})) visit(child, s, depth + 1);
  };
  visit(root, undefined, 0);
}

export function indexStates(root: StateNodeJSON): Map<string, StateNodeJSON> {
  const m = new Map<string, StateNodeJSON>();
  walkStates(root, (s) => m.set(s.id, s));
  return m;
}

/** All transitions of a state node (toJSON lists them in `transitions`; older shapes only in `on`). */
export function stateTransitions(s: StateNodeJSON): TransitionJSON[] {
  if (Array.isArray(s.transitions)) return s.transitions;
  return Object.values(s.on ?? {}).flat();
}

/** Ids of the state nodes active for `value` (root included, parents before children). */
export function activeStateIds(root: MachineJSON, value: unknown): string[] {
  const out: string[] = [root.id];
  const visit = (node: StateNodeJSON, v: unknown): void => {
    if (typeof v === 'string') {
      const child = node.states?.[v];
      if (child) out.push(child.id);
      return;
    }
    if (v && typeof v === 'object') {
      for (const [k, sub] of Object.entries(v as Record<string, unknown>)) {
        const child = node.states?.[k];
        if (!child) continue;
        out.push(child.id);
        visit(child, sub);
      }
    }
  };
  visit(root, value);
  return out;
}

/** Dotted paths of the active leaves: `running.up`, or `a.x, b.y` for parallel states. */
export function stateValueToString(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value !== 'object') return String(value);
  const paths: string[] = [];
  const visit = (v: unknown, prefix: string): void => {
    if (typeof v === 'string') {
      paths.push(prefix ? `${prefix}.${v}` : v);
      return;
    }
    if (v && typeof v === 'object') {
      const entries = Object.entries(v as Record<string, unknown>);
      if (entries.length === 0 && prefix) paths.push(prefix);
      for (const [k, sub] of entries) visit(sub, prefix ? `${prefix}.${k}` : k);
    }
  };
  visit(value, '');
  return paths.join(', ');
}

/** `meta.reason` of a state, if it is a string (statelet's container states carry the kubelet reason). */
export function metaReason(s: StateNodeJSON | undefined): string | undefined {
  const meta = s?.meta as { reason?: unknown } | undefined;
  return typeof meta?.reason === 'string' ? meta.reason : undefined;
}

/** `meta.status` of a state (statelet's container states: the kubelet's waiting | running | terminated). */
export function metaStatus(s: StateNodeJSON | undefined): string | undefined {
  const meta = s?.meta as { status?: unknown } | undefined;
  return typeof meta?.status === 'string' ? meta.status : undefined;
}

/** How the visualizer colours a container state. */
export type Category = 'waiting' | 'running' | 'backoff' | 'exited' | 'other';

const REASON_CATEGORY: Array<[RegExp, Category]> = [
  [/BackOff$/, 'backoff'],
  [/^(Completed|Error|OOMKilled|ContainerCannotRun|DeadlineExceeded|Terminated|Killed)$/, 'exited'],
  [/^(Running|Started)$/, 'running'],
  [/./, 'waiting'], // every other kubelet container reason is a Waiting reason
];
const STATUS_CATEGORY: Record<string, Category> = { waiting: 'waiting', running: 'running', terminated: 'exited' };

/**
 * Category from a state's kubelet reason and container status (`meta`): a
 * `…BackOff` reason wins, then the status (ContainerStateWaiting / Running /
 * Terminated), then what the reason alone implies.
 */
export function metaCategory(reason: string | undefined, status: string | undefined): Category | undefined {
  if (reason && /BackOff$/.test(reason)) return 'backoff';
  if (status && STATUS_CATEGORY[status]) return STATUS_CATEGORY[status];
  if (reason) for (const [re, cat] of REASON_CATEGORY) if (re.test(reason)) return cat;
  return undefined;
}

/**
 * `machine.toJSON()` as plain JSON. Guards are kept as readable strings (the
 * plain JSON form drops function guards such as `not('x')`); everything else is
 * what Stately Studio imports.
 */
export function machineToJSON(machine: { toJSON(): unknown; root?: unknown }): MachineJSON {
  const replacer = (key: string, value: unknown): unknown => {
    if (key === 'guard' && value !== undefined && value !== null) return guardLabel(value);
    if (typeof value === 'bigint') return value.toString();
    return value;
  };
  const json = JSON.parse(JSON.stringify(machine.toJSON(), replacer)) as MachineJSON;
  // XState 5's toJSON leaves out eventless (`always`) transitions; add them
  // (eventType '') to `transitions` and to an `always` list.
  interface LiveNode {
    always?: unknown[];
    states?: Record<string, LiveNode>;
  }
  const attach = (live: LiveNode | undefined, node: StateNodeJSON): void => {
    if (!live) return;
    if (Array.isArray(live.always) && live.always.length) {
      const always = JSON.parse(JSON.stringify(live.always, replacer)) as TransitionJSON[];
      (node as StateNodeJSON & { always?: TransitionJSON[] }).always = always;
      node.transitions = [...(node.transitions ?? []), ...always];
    }
    for (const [k, child] of Object.entries(node.states ?? {})) attach(live.states?.[k], child);
  };
  attach(machine.root as LiveNode | undefined, json);
  return json;
}
