// `statelet visualize <run.ndjson>`: turns the NDJSON that `statelet run|serve
// --output json` wrote (Pod status lines, Event lines, Transition lines) back
// into the stream a live visualizer would have received, so the same page can
// step through a run that has ended (a CI log, a bug report).
//
// What a recording holds, and what is rebuilt from it:
// - Transition lines give each pod and container actor's state values, the
//   event behind each change and when it happened (ms). Which chart
//   transitions led from one value to the next is not recorded (one line per
//   macrostep): it is inferred from the chart, as the shortest path that takes
//   the recorded event first and then eventless transitions, and flagged
//   `inferred` (the guards are the chart's, not observed).
// - Pod lines give the v1 status; they carry no time, so each takes the time
//   of the line before it. A container's restart count, last exit and back-off
//   (from its CrashLoopBackOff waiting message) become its actor's context.
// - Event lines are kept for the events table; `Unhealthy` ones also mark
//   probe failures on their container's timeline.
//
// Charts are consumed generically (their toJSON form): no state name is known here.

import { EventReason } from '../k8s/messages.js';
import { indexStates, stateTransitions, targetId } from './chart.js';
import {
  STATELET_PROTOCOL,
  STATELY_INSPECT_VERSION,
  type MachineJSON,
  type ReplayData,
  type ReplayEvent,
  type ServerMessage,
  type StateNodeJSON,
  type TakenTransition,
} from './protocol.js';

export interface ReplayOptions {
  /** The charts that may have produced the recording, by machine id (their machineToJSON form). */
  machines: Record<string, MachineJSON>;
  /**
   * Machine ids to try first for pod actors (`<namespace>/<pod>`) and for
   * their children (`<namespace>/<pod>/<container>`); any other machine whose
   * states fit the recorded values is tried after them.
   */
  prefer?: { root?: string[]; child?: string[] };
  /** Shown in the page (the file name). */
  source?: string;
}

interface Line {
  at: number;
  obj: Record<string, any>;
}

interface ActorTrack {
  label: string;
  sessionId: string;
  parent?: ActorTrack;
  root: boolean;
  /** Container name (children), or the pod name. */
  name: string;
  machineId?: string;
  values: string[];
  created: boolean;
  value?: string;
  contextJson?: string;
  context: Record<string, unknown>;
  ended: boolean;
}

/** Go's time.Duration text (`1m20s`, `300ms`, `2h0m0s`) in ms; undefined when it is not one. */
export function parseGoDuration(text: string): number | undefined {
  if (!/^(\d+(\.\d+)?(h|m|s|ms|us|µs|ns))+$/.test(text)) return undefined;
  const unit: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 1e-3, µs: 1e-3, ns: 1e-6 };
  let ms = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/g)) ms += Number(m[1]) * unit[m[2]!]!;
  return ms;
}

/** `a.b.c` → `{ a: { b: 'c' } }`; the leaves of parallel states (`p.x, p.y`) are merged: `{ p: { x: {}, y: {} } }`-like. */
export function valueFromPath(path: string): unknown {
  const parts = path.split(', ').filter(Boolean);
  const build = (keys: string[]): unknown => (keys.length === 1 ? keys[0] : { [keys[0]!]: build(keys.slice(1)) });
  if (parts.length <= 1) return build((parts[0] ?? '').split('.'));
  const merge = (a: unknown, b: unknown): unknown => {
    const obj = (v: unknown): Record<string, unknown> => (typeof v === 'string' ? { [v]: {} } : (v as Record<string, unknown>));
    const out: Record<string, unknown> = { ...obj(a) };
    for (const [k, v] of Object.entries(obj(b))) out[k] = k in out ? merge(out[k], v) : v;
    return out;
  };
  return parts.map((p) => build(p.split('.'))).reduce(merge);
}

// ---------------------------------------------------------------- charts

interface ChartIndex {
  machine: MachineJSON;
  byId: Map<string, StateNodeJSON>;
  byPath: Map<string, StateNodeJSON>;
  pathOf: Map<string, string>;
  parentOf: Map<string, StateNodeJSON>;
}

const charts = new WeakMap<MachineJSON, ChartIndex>();

function chartIndex(machine: MachineJSON): ChartIndex {
  let c = charts.get(machine);
  if (c) return c;
  const byId = indexStates(machine);
  const byPath = new Map<string, StateNodeJSON>();
  const pathOf = new Map<string, string>();
  const parentOf = new Map<string, StateNodeJSON>();
  const visit = (node: StateNodeJSON, path: string): void => {
    for (const [key, child] of Object.entries(node.states ?? {})) {
      const p = path ? `${path}.${key}` : key;
      byPath.set(p, child);
      pathOf.set(child.id, p);
      parentOf.set(child.id, node);
      visit(child, p);
    }
  };
  visit(machine, '');
  c = { machine, byId, byPath, pathOf, parentOf };
  charts.set(machine, c);
  return c;
}

/** How many of the recorded values name a state of this chart. */
function fits(machine: MachineJSON, values: string[]): number {
  const c = chartIndex(machine);
  let n = 0;
  for (const v of values) if (v.split(', ').every((p) => c.byPath.has(p))) n++;
  return n;
}

/** The leaf that entering `id` ends in (initial states followed down). */
function entryLeaf(c: ChartIndex, id: string): string {
  let node = c.byId.get(id);
  for (let guard = 0; node && guard < 64; guard++) {
    if (node.type === 'history') return c.parentOf.get(node.id)?.id ?? node.id;
    const children = node.states ? Object.values(node.states) : [];
    if (children.length === 0 || node.type === 'parallel') return node.id;
    let next: StateNodeJSON | undefined;
    const init = node.initial;
    if (typeof init === 'string') next = node.states?.[init];
    else if (init && Array.isArray(init.target) && init.target[0]) next = c.byId.get(targetId(init.target[0]));
    next ??= children[0];
    node = next;
  }
  return node?.id ?? id;
}

function ancestorsAndSelf(c: ChartIndex, id: string): StateNodeJSON[] {
  const out: StateNodeJSON[] = [];
  for (let n = c.byId.get(id); n; n = c.parentOf.get(n.id)) out.push(n);
  return out;
}

/**
 * The chart transitions most likely taken when a recorded actor went from
 * `from` to `to` on `event`: the shortest path that starts with a transition
 * on that event (from the state or one of its ancestors, deepest first) and
 * continues with eventless ones. Between two transitions to the same state,
 * the one without a guard is preferred (the fall-through case). Undefined when
 * no such path exists in this chart.
 */
export function inferTransitions(machine: MachineJSON, from: string, to: string, event: string): TakenTransition[] | undefined {
  const c = chartIndex(machine);
  const toNode = c.byPath.get(to);
  if (!toNode) return undefined;
  const goal = toNode.id;
  const startNode = from ? c.byPath.get(from) : undefined;
  if (from && !startNode) return undefined;
  const start = startNode ? startNode.id : entryLeaf(c, machine.id);
  const MAX_STEPS = 12;

  const taken = (s: StateNodeJSON, t: { eventType: string; guard?: unknown; delay?: string | number; reenter?: boolean }, targets: string[]): TakenTransition => {
    const out: TakenTransition = { source: s.id, targets, eventType: t.eventType };
    if (typeof t.guard === 'string') out.guard = t.guard;
    if (t.delay !== undefined) out.delay = t.delay;
    if (t.reenter) out.reenter = true;
    return out;
  };
  /** Moves from a leaf on one event type: [next leaf, the transition], deepest source first, unguarded preferred per next leaf. */
  const moves = (leaf: string, eventType: string): Array<[string, TakenTransition]> => {
    const byNext = new Map<string, { t: TakenTransition; guarded: boolean }>();
    for (const s of ancestorsAndSelf(c, leaf)) {
      for (const t of stateTransitions(s)) {
        if (t.eventType !== eventType) continue;
        const targets = (t.target ?? []).map(targetId).filter((x) => c.byId.has(x));
        const next = targets.length ? entryLeaf(c, targets[0]!) : leaf;
        const guarded = typeof t.guard === 'string' || (t.guard !== undefined && t.guard !== null);
        const have = byNext.get(next);
        if (!have || (have.guarded && !guarded)) byNext.set(next, { t: taken(s, t, targets), guarded });
      }
    }
    return [...byNext].map(([next, { t }]) => [next, t]);
  };
  const search = (first: Array<[string, TakenTransition[]]>): TakenTransition[] | undefined => {
    let frontier = first;
    const seen = new Set<string>(first.map(([l]) => l));
    for (let step = 0; step <= MAX_STEPS && frontier.length; step++) {
      for (const [leaf, path] of frontier) if (leaf === goal) return path;
      const next: Array<[string, TakenTransition[]]> = [];
      for (const [leaf, path] of frontier) {
        for (const [to2, t] of moves(leaf, '')) {
          if (seen.has(to2)) continue;
          seen.add(to2);
          next.push([to2, [...path, t]]);
        }
      }
      frontier = next;
    }
    return undefined;
  };
  if (!from) return search([[start, []]]);
  // The event handled by a transition first; else (handled by actions only) straight to eventless ones.
  return search(moves(start, event).map(([leaf, t]) => [leaf, [t]])) ?? search([[start, []]]);
}

// ---------------------------------------------------------------- the recording

function time(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const t = Date.parse(v);
  return Number.isFinite(t) ? t : undefined;
}

interface ContainerStatusLike {
  name?: string;
  restartCount?: number;
  ready?: boolean;
  started?: boolean;
  containerID?: string;
  state?: { waiting?: { reason?: string; message?: string }; running?: { startedAt?: string }; terminated?: TerminatedLike };
  lastState?: { terminated?: TerminatedLike };
}
interface TerminatedLike {
  exitCode?: number;
  reason?: string;
  finishedAt?: string;
  containerID?: string;
}

function allStatuses(status: Record<string, any> | undefined): ContainerStatusLike[] {
  if (!status || typeof status !== 'object') return [];
  const out: ContainerStatusLike[] = [];
  for (const k of ['initContainerStatuses', 'containerStatuses', 'ephemeralContainerStatuses']) {
    if (Array.isArray(status[k])) out.push(...(status[k] as ContainerStatusLike[]));
  }
  return out;
}

/** Builds what /replay.json serves from the text of an NDJSON recording. */
export function buildReplay(text: string, opts: ReplayOptions): ReplayData {
  const lines: Line[] = [];
  let skipped = 0;
  const raw: Array<{ obj: Record<string, any>; own?: number }> = [];
  for (const l of text.split('\n')) {
    const s = l.trim();
    if (!s) continue;
    let obj: unknown;
    try {
      obj = JSON.parse(s);
    } catch {
      skipped++;
      continue;
    }
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) {
      skipped++;
      continue;
    }
    const o = obj as Record<string, any>;
    if (o.kind !== 'Pod' && o.kind !== 'Event' && o.kind !== 'Transition') {
      skipped++;
      continue;
    }
    const own = o.kind === 'Transition' ? time(o.timestamp) : o.kind === 'Event' ? time(o.lastTimestamp ?? o.firstTimestamp) : undefined;
    raw.push({ obj: o, own });
  }
  // Times: lines are in the order they were written; a line without a time of
  // its own (Pod) or with a coarser one (Event, whole seconds) takes the time
  // of the line before it when that is later.
  const firstKnown = raw.find((r) => r.own !== undefined)?.own ?? 0;
  let t = firstKnown;
  for (const r of raw) {
    if (r.own !== undefined && r.own > t) t = r.own;
    lines.push({ at: t, obj: r.obj });
  }
  const start = lines[0]?.at ?? 0;
  const end = lines.at(-1)?.at ?? start;

  // ---- actors: labels, their values, and their charts ----
  const tracks = new Map<string, ActorTrack>();
  const containerNames = new Map<string, Set<string>>(); // pod label → container names seen in statuses
  let anyPodLine = false;
  const podLabelOf = (o: Record<string, any>): string => `${o.metadata?.namespace ?? 'default'}/${o.metadata?.name ?? ''}`;
  const track = (label: string): ActorTrack => {
    let tr = tracks.get(label);
    if (tr) return tr;
    const parts = label.split('/');
    const root = parts.length <= 2;
    const parentLabel = root ? undefined : parts.slice(0, 2).join('/');
    tr = {
      label,
      sessionId: `replay:${label}`,
      parent: parentLabel ? track(parentLabel) : undefined,
      root,
      name: root ? (parts[1] ?? parts[0] ?? label) : parts.slice(2).join('/'),
      values: [],
      created: false,
      context: {},
      ended: false,
    };
    tracks.set(label, tr);
    return tr;
  };
  for (const { obj } of lines) {
    if (obj.kind === 'Transition' && typeof obj.actor === 'string') {
      const tr = track(obj.actor);
      for (const v of [obj.from, obj.to]) if (typeof v === 'string' && v && !tr.values.includes(v)) tr.values.push(v);
    } else if (obj.kind === 'Pod') {
      anyPodLine = true;
      const label = podLabelOf(obj);
      const names = containerNames.get(label) ?? new Set<string>();
      for (const cs of allStatuses(obj.status)) if (cs.name) names.add(cs.name);
      containerNames.set(label, names);
      track(label);
    }
  }
  const machineIds = Object.keys(opts.machines);
  const order = (pref: string[] | undefined): string[] => [...(pref ?? []).filter((m) => opts.machines[m]), ...machineIds.filter((m) => !pref?.includes(m))];
  for (const tr of tracks.values()) {
    // Children that are not containers of the pod (a container's probes share one
    // label per pod, whichever container they belong to) are left out.
    if (!tr.root && anyPodLine && !containerNames.get(tr.parent!.label)?.has(tr.name)) continue;
    let best: string | undefined;
    let bestFit = 0;
    for (const id of order(tr.root ? opts.prefer?.root : opts.prefer?.child)) {
      const n = fits(opts.machines[id]!, tr.values);
      if (n > bestFit) {
        best = id;
        bestFit = n;
      }
      if (n === tr.values.length && n > 0) break;
    }
    if (best || (tr.root && tr.values.length === 0)) tr.machineId = best;
  }

  // ---- messages ----
  const entries: Array<{ at: number; msg: ServerMessage }> = [];
  const events: ReplayEvent[] = [];
  const used = new Set<string>();
  let seq = 0;
  let inferred = 0;
  let transitions = 0;
  let statuses = 0;
  const push = (at: number, msg: ServerMessage): void => {
    entries.push({ at, msg });
  };
  const snapshotOf = (tr: ActorTrack, status = 'active'): Record<string, unknown> => ({
    status,
    value: tr.value !== undefined ? valueFromPath(tr.value) : undefined,
    context: tr.context,
  });
  const create = (tr: ActorTrack, at: number, value: string | undefined): void => {
    if (tr.created) return;
    if (tr.parent) create(tr.parent, at, tr.parent.value);
    tr.created = true;
    tr.value = value;
    tr.contextJson = JSON.stringify(tr.context);
    if (tr.machineId) used.add(tr.machineId);
    push(at, {
      type: '@xstate.actor',
      name: tr.root ? tr.label : tr.name,
      sessionId: tr.sessionId,
      createdAt: String(at),
      _version: STATELY_INSPECT_VERSION,
      rootId: tr.parent?.sessionId ?? tr.sessionId,
      parentId: tr.parent?.sessionId,
      id: null,
      definition: undefined,
      snapshot: snapshotOf(tr),
      actorId: tr.root ? tr.label : tr.name,
      ...(tr.machineId ? { machineId: tr.machineId } : {}),
    });
  };
  const snapshot = (tr: ActorTrack, at: number, eventType: string, status = 'active'): void => {
    tr.contextJson = JSON.stringify(tr.context);
    push(at, {
      type: '@xstate.snapshot',
      event: { type: eventType },
      snapshot: snapshotOf(tr, status),
      sessionId: tr.sessionId,
      _version: STATELY_INSPECT_VERSION,
      createdAt: String(at),
      id: null,
      rootId: tr.parent?.sessionId ?? tr.sessionId,
    });
  };
  const isFinalTop = (tr: ActorTrack, value: string): boolean => {
    const m = tr.machineId ? opts.machines[tr.machineId] : undefined;
    if (!m || value.includes('.')) return false;
    return m.states?.[value]?.type === 'final';
  };
  /** Per container: when the current waiting reason, message and exit were first seen. */
  const firstSeen = new Map<string, { key: string; at: number }>();
  const exitSeen = new Map<string, { key: string; at: number }>();

  for (const { at, obj } of lines) {
    if (obj.kind === 'Transition') {
      const tr = tracks.get(obj.actor);
      if (!tr || (!tr.root && !tr.machineId)) continue; // not a container of the pod (see above)
      const from = typeof obj.from === 'string' ? obj.from : '';
      const to = typeof obj.to === 'string' ? obj.to : '';
      if (!to) continue;
      const event = typeof obj.event === 'string' ? obj.event : '';
      if (!tr.created) create(tr, at, from || to);
      const machine = tr.machineId ? opts.machines[tr.machineId] : undefined;
      let path: TakenTransition[] | undefined;
      if (machine && (from || tr.value !== to)) {
        path = inferTransitions(machine, from, to, event);
        if (!path && from) {
          const src = chartIndex(machine).byPath.get(from)?.id;
          const dst = chartIndex(machine).byPath.get(to)?.id;
          if (src && dst) path = [{ source: src, targets: [dst], eventType: event }];
        }
      }
      tr.value = to;
      transitions++;
      if (path && path.length) {
        inferred++;
        push(at, {
          type: '@statelet.transition',
          seq: ++seq,
          sessionId: tr.sessionId,
          rootId: tr.parent?.sessionId ?? tr.sessionId,
          time: at,
          event,
          transitions: path,
          value: valueFromPath(to),
          status: 'active',
          inferred: true,
        });
      }
      const done = tr.root && isFinalTop(tr, to);
      snapshot(tr, at, event, done ? 'done' : 'active');
      if (done) {
        tr.ended = true;
        // The pod's children are stopped with it.
        for (const c of tracks.values()) {
          if (c.parent === tr && c.created && !c.ended) {
            c.ended = true;
            snapshot(c, at, 'xstate.stop', 'stopped');
          }
        }
      }
    } else if (obj.kind === 'Pod') {
      statuses++;
      const label = podLabelOf(obj);
      const pod = tracks.get(label);
      if (!pod) continue;
      if (!pod.created) create(pod, at, pod.value);
      const status = (obj.status ?? {}) as Record<string, any>;
      push(at, {
        type: '@statelet.podStatus',
        sessionId: pod.sessionId,
        uid: String(obj.metadata?.uid ?? ''),
        name: String(obj.metadata?.name ?? ''),
        namespace: String(obj.metadata?.namespace ?? 'default'),
        time: at,
        status,
      });
      for (const cs of allStatuses(status)) {
        const tr = cs.name ? tracks.get(`${label}/${cs.name}`) : undefined;
        if (!tr || !tr.created || tr.ended) continue;
        const ctx: Record<string, unknown> = { restartCount: cs.restartCount ?? 0, ready: cs.ready === true };
        if (cs.started !== undefined) ctx.started = cs.started;
        const term = cs.state?.terminated ?? cs.lastState?.terminated;
        if (term) {
          const key = `${term.containerID ?? cs.containerID ?? ''}@${term.finishedAt ?? ''}`;
          const seen = exitSeen.get(tr.label);
          // Statuses keep whole seconds: the exit is placed where it first showed up.
          const when = seen?.key === key ? seen.at : at;
          if (seen?.key !== key) exitSeen.set(tr.label, { key, at });
          ctx.lastTermination = { id: term.containerID ?? key, exitCode: term.exitCode, reason: term.reason, finishedAt: when };
        }
        const waiting = cs.state?.waiting;
        if (waiting) {
          if (waiting.reason) ctx.waitingReason = waiting.reason;
          if (waiting.message) ctx.waitingMessage = waiting.message;
          const key = `${waiting.reason ?? ''}|${waiting.message ?? ''}|${cs.restartCount ?? 0}`;
          const seen = firstSeen.get(tr.label);
          const since = seen?.key === key ? seen.at : at;
          if (seen?.key !== key) firstSeen.set(tr.label, { key, at });
          const m = /^back-off (\S+) /.exec(waiting.message ?? '');
          const ms = m ? parseGoDuration(m[1]!) : undefined;
          if (/BackOff$/.test(waiting.reason ?? '') && ms !== undefined) {
            ctx.backOffMs = ms;
            ctx.backOffUntil = since + ms;
          }
        } else firstSeen.delete(tr.label);
        tr.context = ctx;
        if (JSON.stringify(ctx) !== tr.contextJson) snapshot(tr, at, 'statelet.status');
      }
    } else if (obj.kind === 'Event') {
      const io = (obj.involvedObject ?? {}) as Record<string, any>;
      const ev: ReplayEvent = {
        at,
        type: obj.type,
        reason: obj.reason,
        message: obj.message,
        count: obj.count,
        firstTimestamp: obj.firstTimestamp,
        lastTimestamp: obj.lastTimestamp,
        involvedObject: { kind: io.kind, name: io.name, namespace: io.namespace, uid: io.uid, fieldPath: io.fieldPath },
      };
      events.push(ev);
      const c = /^spec\.(?:initContainers|containers|ephemeralContainers)\{(.+)\}$/.exec(String(io.fieldPath ?? ''));
      const tr = c ? tracks.get(`${io.namespace ?? 'default'}/${io.name}/${c[1]}`) : undefined;
      if (tr?.created && obj.reason === EventReason.Unhealthy) {
        const label = String(obj.message ?? 'probe failed').split(':')[0]!;
        push(at, { type: '@statelet.marker', sessionId: tr.sessionId, time: at, kind: 'probe', label });
      }
    }
  }

  const preamble: ServerMessage[] = [{ type: '@statelet.hello', protocol: STATELET_PROTOCOL, serverTime: start }];
  for (const id of used) {
    const m = opts.machines[id]!;
    preamble.push({ type: '@statelet.machine', machineId: id, id: m.id, json: m, _version: STATELY_INSPECT_VERSION });
  }
  preamble.push({ type: '@statelet.synced', actors: 0 });
  return {
    type: 'statelet.replay',
    version: 1,
    source: opts.source ?? '',
    start,
    end,
    preamble,
    entries,
    events,
    stats: { lines: lines.length, transitions, events: events.length, statuses, skipped, inferred },
  };
}
