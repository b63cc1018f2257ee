// The visualizer's model: folds inspection messages (protocol.ts) into an actor
// tree, a transition log and per-container timelines. Pure (no DOM, no node),
// bundled into the browser app and unit-tested under node.
//
// It is deliberately tolerant: it reads container facts from state names,
// `meta.reason` (statelet's container states carry the kubelet reason, e.g.
// CrashLoopBackOff) and optional context fields (`backOffUntil`, epoch ms;
// `restartCount`), and falls back gracefully when any of them is missing.

import {
  activeStateIds,
  describeEventType,
  indexStates,
  metaReason,
  stateTransitions,
  stateValueToString,
  type EventKind,
} from './chart.js';
import type { MachineJSON, StateNodeJSON, TransitionMessage } from './protocol.js';

export interface ActorView {
  sessionId: string;
  parentId?: string;
  rootId?: string;
  actorId: string;
  systemId?: string;
  name: string;
  machineId?: string;
  status: string;
  value: unknown;
  context: unknown;
  snapshot: unknown;
  /** Server epoch ms. */
  createdAt: number;
  updatedAt: number;
  endedAt?: number;
  lastEvent?: string;
}

export interface LogRow {
  /** Unique per row: `<seq>.<index>`. */
  key: string;
  seq: number;
  time: number;
  sessionId: string;
  /** Type of the event that caused the microstep. */
  event: string;
  /** The transition's event descriptor ('' for `always`). */
  eventType: string;
  kind: EventKind | 'status';
  /** `START`, `after backOff`, `always`, `error: runContainer`. */
  eventLabel: string;
  source?: string;
  targets: string[];
  guard?: string;
  delay?: string | number;
  /** Targetless transition (actions only, the state does not change). */
  internal: boolean;
  /** Snapshot status after the step. */
  status: string;
  /** State value after the step, as `a.b`. */
  valueText: string;
  replay?: boolean;
}

export type Category = 'waiting' | 'running' | 'backoff' | 'exited' | 'other';

export interface Segment {
  start: number;
  end?: number;
  valueText: string;
  category: Category;
  reason?: string;
}

export interface Marker {
  time: number;
  kind: 'start' | 'exit' | 'backoff';
  label: string;
}

export interface Timeline {
  segments: Segment[];
  markers: Marker[];
}

export interface BackOffInfo {
  /** Server epoch ms when the back-off ends, if known. */
  until?: number;
  remainingMs?: number;
  since: number;
  reason?: string;
}

export interface TreeNode {
  actor: ActorView;
  children: TreeNode[];
}

export interface Change {
  reset?: boolean;
  tree?: boolean;
  machines?: boolean;
  log?: boolean;
  actors: Set<string>;
}

const REASON_CATEGORY: Array<[RegExp, Category]> = [
  [/BackOff$/, 'backoff'],
  [/^(Completed|Error|OOMKilled|ContainerCannotRun|DeadlineExceeded|Terminated|Killed)$/, 'exited'],
  [/^(Running|Started)$/, 'running'],
  [/./, 'waiting'], // every other kubelet container reason is a Waiting reason
];
const NAME_CATEGORY: Array<[RegExp, Category]> = [
  [/back-?off|crash-?loop/i, 'backoff'],
  [/exited|terminated|completed|failed|error|dead|killed|stopped|oom/i, 'exited'],
  [/running|started|^up$|^ready$/i, 'running'],
  [/wait|creat|pull|pending|start|init|prepar|sandbox/i, 'waiting'],
];
const PRIORITY: Category[] = ['backoff', 'exited', 'running', 'waiting', 'other'];

const MAX_SEGMENTS = 300;
const ENDED_ACTOR_TTL_MS = 5000;
/** Back-off deadlines before 2001 are not epoch ms (e.g. a simulated clock): ignore them. */
const PLAUSIBLE_EPOCH_MS = 1e12;

function num(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v !== '') {
    const n = Number(v);
    if (Number.isFinite(n)) return n;
    const d = Date.parse(v);
    if (Number.isFinite(d)) return d;
  }
  return undefined;
}

export class InspectorModel {
  readonly actors = new Map<string, ActorView>();
  readonly machines = new Map<string, MachineJSON>();
  readonly timelines = new Map<string, Timeline>();
  log: LogRow[] = [];
  /** serverTime − localTime, from the hello message. */
  serverOffset = 0;
  synced = false;
  private stateIndexes = new Map<string, Map<string, StateNodeJSON>>();
  private containerLikeMachines = new Map<string, boolean>();
  private replayValues: Array<[string, unknown, number]> = [];

  constructor(readonly maxLog = 2000) {}

  reset(): void {
    this.actors.clear();
    this.machines.clear();
    this.timelines.clear();
    this.log = [];
    this.stateIndexes.clear();
    this.containerLikeMachines.clear();
    this.replayValues = [];
    this.synced = false;
  }

  serverNow(localNow: number = Date.now()): number {
    return localNow + this.serverOffset;
  }

  /** Applies one message (parsed JSON). Unknown or malformed messages are ignored. */
  apply(raw: unknown, localNow: number = Date.now()): Change {
    const change: Change = { actors: new Set() };
    if (!raw || typeof raw !== 'object') return change;
    const msg = raw as Record<string, unknown>;
    const now = this.serverNow(localNow);
    switch (msg.type) {
      case '@statelet.hello': {
        this.reset();
        // Correct only real clock skew: the difference also contains the
        // message's delivery delay, which would make countdowns run late.
        const st = num(msg.serverTime);
        const offset = st !== undefined ? st - localNow : 0;
        this.serverOffset = Math.abs(offset) > 2000 ? offset : 0;
        change.reset = change.tree = change.log = change.machines = true;
        break;
      }
      case '@statelet.synced': {
        this.synced = true;
        // Timelines of actors the history did not cover start from their current state.
        // (noteValue ignores a value equal to the last one the history gave.)
        for (const [sessionId, value, time] of this.replayValues) this.noteValue(sessionId, value, time);
        this.replayValues = [];
        change.tree = true;
        break;
      }
      case '@statelet.machine': {
        if (typeof msg.machineId !== 'string' || !msg.json || typeof msg.json !== 'object') break;
        this.machines.set(msg.machineId, msg.json as MachineJSON);
        this.stateIndexes.delete(msg.machineId);
        this.containerLikeMachines.delete(msg.machineId);
        change.machines = true;
        break;
      }
      case '@xstate.actor': {
        if (typeof msg.sessionId !== 'string') break;
        const snap = (msg.snapshot ?? {}) as Record<string, unknown>;
        const createdAt = num(msg.createdAt) ?? now;
        const prev = this.actors.get(msg.sessionId);
        const a: ActorView = {
          sessionId: msg.sessionId,
          parentId: typeof msg.parentId === 'string' ? msg.parentId : undefined,
          rootId: typeof msg.rootId === 'string' ? msg.rootId : undefined,
          actorId: typeof msg.actorId === 'string' ? msg.actorId : typeof msg.name === 'string' ? msg.name : msg.sessionId,
          systemId: typeof msg.systemId === 'string' ? msg.systemId : undefined,
          name: typeof msg.name === 'string' ? msg.name : msg.sessionId,
          machineId: typeof msg.machineId === 'string' ? msg.machineId : undefined,
          status: typeof snap.status === 'string' ? snap.status : 'active',
          value: snap.value,
          context: snap.context,
          snapshot: snap,
          createdAt: prev?.createdAt ?? createdAt,
          updatedAt: now,
        };
        this.actors.set(a.sessionId, a);
        if (this.synced) this.noteValue(a.sessionId, a.value, createdAt);
        else this.replayValues.push([a.sessionId, a.value, createdAt]);
        change.tree = true;
        change.actors.add(a.sessionId);
        break;
      }
      case '@xstate.snapshot': {
        if (typeof msg.sessionId !== 'string') break;
        const snap = (msg.snapshot ?? {}) as Record<string, unknown>;
        const a = this.ensureActor(msg.sessionId, now);
        const wasStatus = a.status;
        a.snapshot = snap;
        a.value = snap.value;
        a.context = snap.context;
        a.status = typeof snap.status === 'string' ? snap.status : 'active';
        a.updatedAt = now;
        if (a.status !== 'active' && a.endedAt === undefined) a.endedAt = now;
        this.noteValue(a.sessionId, a.value, num(msg.createdAt) ?? now);
        change.actors.add(a.sessionId);
        change.tree = true;
        if (wasStatus !== a.status) change.tree = true;
        break;
      }
      case '@xstate.event': {
        if (typeof msg.sessionId !== 'string') break;
        const a = this.actors.get(msg.sessionId);
        const ev = msg.event as { type?: unknown } | undefined;
        if (a && typeof ev?.type === 'string') a.lastEvent = ev.type;
        break;
      }
      case '@statelet.transition': {
        if (typeof msg.sessionId !== 'string' || !Array.isArray(msg.transitions)) break;
        this.addTransition(msg as unknown as TransitionMessage);
        change.log = true;
        change.actors.add(msg.sessionId);
        break;
      }
      default:
        break;
    }
    return change;
  }

  private ensureActor(sessionId: string, now: number): ActorView {
    let a = this.actors.get(sessionId);
    if (!a) {
      a = {
        sessionId,
        actorId: sessionId,
        name: sessionId,
        status: 'active',
        value: undefined,
        context: undefined,
        snapshot: {},
        createdAt: now,
        updatedAt: now,
      };
      this.actors.set(sessionId, a);
    }
    return a;
  }

  private addTransition(m: TransitionMessage): void {
    const time = num(m.time) ?? this.serverNow();
    const valueText = stateValueToString(m.value);
    const idx = this.stateIndex(this.actors.get(m.sessionId)?.machineId);
    const base = {
      seq: m.seq,
      time,
      sessionId: m.sessionId,
      event: String(m.event ?? ''),
      status: typeof m.status === 'string' ? m.status : 'active',
      valueText,
      replay: m.replay || undefined,
    };
    const rows: LogRow[] = [];
    m.transitions.forEach((t, i) => {
      if (!t || typeof t !== 'object') return;
      const eventType = typeof t.eventType === 'string' ? t.eventType : '';
      const source = typeof t.source === 'string' ? t.source : undefined;
      const info = describeEventType(eventType, (source && idx?.get(source)) || source);
      const delay = t.delay ?? info.delay;
      const targets = Array.isArray(t.targets) ? t.targets.filter((x): x is string => typeof x === 'string') : [];
      rows.push({
        ...base,
        key: `${m.seq}.${i}`,
        eventType,
        kind: info.kind,
        eventLabel: info.kind === 'after' && delay !== undefined ? `after ${typeof delay === 'number' ? `${delay}ms` : delay}` : info.label,
        source,
        targets,
        guard: typeof t.guard === 'string' ? t.guard : undefined,
        delay,
        internal: targets.length === 0,
      });
    });
    if (rows.length === 0 && base.status !== 'active') {
      // Stop or unhandled error: no transition, but the actor's life ended.
      rows.push({ ...base, key: `${m.seq}.0`, eventType: base.event, kind: 'status', eventLabel: base.status, targets: [], internal: true });
    }
    this.log.push(...rows);
    if (this.log.length > this.maxLog) this.log.splice(0, this.log.length - this.maxLog);
    if (m.value !== undefined && base.status === 'active' && this.actors.has(m.sessionId)) this.noteValue(m.sessionId, m.value, time);
  }

  // ---- machine helpers ----

  stateIndex(machineId: string | undefined): Map<string, StateNodeJSON> | undefined {
    if (!machineId) return undefined;
    let idx = this.stateIndexes.get(machineId);
    if (!idx) {
      const m = this.machines.get(machineId);
      if (!m) return undefined;
      idx = indexStates(m);
      this.stateIndexes.set(machineId, idx);
    }
    return idx;
  }

  machineOf(sessionId: string): MachineJSON | undefined {
    const id = this.actors.get(sessionId)?.machineId;
    return id ? this.machines.get(id) : undefined;
  }

  /** Active state node ids of an actor (root first), or [] when its machine is unknown. */
  activeStates(sessionId: string, value?: unknown): string[] {
    const a = this.actors.get(sessionId);
    const m = this.machineOf(sessionId);
    if (!a || !m) return [];
    return activeStateIds(m, value === undefined ? a.value : value);
  }

  /** Container category of an actor's state, from meta.reason first, then state names. */
  classify(sessionId: string, value?: unknown): { category: Category; reason?: string } {
    const a = this.actors.get(sessionId);
    const idx = this.stateIndex(a?.machineId);
    const v = value === undefined ? a?.value : value;
    const nodes: StateNodeJSON[] = [];
    if (idx) for (const id of this.activeStates(sessionId, v)) {
      const s = idx.get(id);
      if (s) nodes.push(s);
    }
    nodes.reverse(); // deepest first
    let reason: string | undefined;
    for (const s of nodes) {
      reason = metaReason(s);
      if (reason) break;
    }
    if (reason) {
      for (const [re, cat] of REASON_CATEGORY) if (re.test(reason)) return { category: cat, reason };
    }
    const names = nodes.length ? nodes.map((s) => s.key) : stateValueToString(v).split(/[.,\s]+/).filter(Boolean);
    let best: Category = 'other';
    for (const n of names) {
      for (const [re, cat] of NAME_CATEGORY) {
        if (re.test(n)) {
          if (PRIORITY.indexOf(cat) < PRIORITY.indexOf(best)) best = cat;
          break;
        }
      }
    }
    return { category: best, reason };
  }

  private noteValue(sessionId: string, value: unknown, time: number): void {
    if (value === undefined) return;
    const valueText = stateValueToString(value);
    let tl = this.timelines.get(sessionId);
    if (!tl) {
      tl = { segments: [], markers: [] };
      this.timelines.set(sessionId, tl);
    }
    const last = tl.segments[tl.segments.length - 1];
    if (last && last.valueText === valueText) return;
    const t = last && time < last.start ? last.start : time;
    if (last) last.end = t;
    const { category, reason } = this.classify(sessionId, value);
    tl.segments.push({ start: t, valueText, category, reason });
    const prev = last?.category;
    if (category === 'running' && prev !== 'running') tl.markers.push({ time: t, kind: 'start', label: 'started' });
    if (prev === 'running' && category !== 'running') {
      const ctx = this.actors.get(sessionId)?.context as Record<string, unknown> | undefined;
      const code = num(ctx?.lastExitCode ?? ctx?.exitCode);
      tl.markers.push({ time: t, kind: 'exit', label: code === undefined ? 'exited' : `exited (${code})` });
    }
    if (category === 'backoff' && prev !== 'backoff') tl.markers.push({ time: t, kind: 'backoff', label: reason ?? 'back-off' });
    if (tl.segments.length > MAX_SEGMENTS) tl.segments.splice(0, tl.segments.length - MAX_SEGMENTS);
    if (tl.markers.length > MAX_SEGMENTS) tl.markers.splice(0, tl.markers.length - MAX_SEGMENTS);
  }

  /**
   * When the actor is in a back-off state: when it ends. Uses context.backOffUntil
   * (epoch ms) when plausible, else the shortest numeric `after` delay out of the
   * active states counted from when the state was entered.
   */
  backOff(sessionId: string, serverNow: number): BackOffInfo | undefined {
    const a = this.actors.get(sessionId);
    if (!a || a.status !== 'active') return undefined;
    const { category, reason } = this.classify(sessionId);
    if (category !== 'backoff') return undefined;
    const seg = this.timelines.get(sessionId)?.segments.at(-1);
    const since = seg?.start ?? a.updatedAt;
    const ctx = a.context as Record<string, unknown> | undefined;
    let until = num(ctx?.backOffUntil);
    if (until !== undefined && until < PLAUSIBLE_EPOCH_MS) until = undefined;
    if (until === undefined) {
      const idx = this.stateIndex(a.machineId);
      let best: number | undefined;
      for (const id of this.activeStates(sessionId)) {
        for (const t of stateTransitions(idx?.get(id) ?? ({} as StateNodeJSON))) {
          const d = typeof t.delay === 'number' ? t.delay : describeEventType(t.eventType, id).delay;
          if (typeof d === 'number' && (best === undefined || d < best)) best = d;
        }
      }
      if (best !== undefined) until = since + best;
    }
    return {
      since,
      reason,
      until,
      remainingMs: until === undefined ? undefined : Math.max(0, until - serverNow),
    };
  }

  /** Whether an actor looks like a container: by name, context fields, or back-off states in its chart. */
  isContainerLike(sessionId: string): boolean {
    const a = this.actors.get(sessionId);
    if (!a) return false;
    if (/container/i.test(`${a.systemId ?? ''} ${a.actorId} ${a.machineId ?? ''}`)) return true;
    const ctx = a.context as Record<string, unknown> | undefined;
    if (ctx && typeof ctx === 'object' && ('backOffUntil' in ctx || 'restartCount' in ctx)) return true;
    if (!a.machineId) return false;
    let known = this.containerLikeMachines.get(a.machineId);
    if (known === undefined) {
      known = false;
      for (const s of this.stateIndex(a.machineId)?.values() ?? []) {
        if (/back-?off/i.test(s.key) || /BackOff/.test(metaReason(s) ?? '')) known = true;
      }
      this.containerLikeMachines.set(a.machineId, known);
    }
    return known;
  }

  /** Container-like actors in the tree of the selected actor (pod), or the selection itself. */
  timelineActors(selected: string | undefined): string[] {
    if (!selected || !this.actors.has(selected)) return [];
    let root = selected;
    for (let p = this.actors.get(root)?.parentId; p && this.actors.has(p); p = this.actors.get(p)?.parentId) root = p;
    const out: string[] = [];
    const visit = (n: TreeNode): void => {
      if (this.isContainerLike(n.actor.sessionId)) out.push(n.actor.sessionId);
      n.children.forEach(visit);
    };
    const node = this.tree().find((n) => n.actor.sessionId === root);
    if (node) visit(node);
    return out.length ? out : [selected];
  }

  label(sessionId: string): string {
    const a = this.actors.get(sessionId);
    if (!a) return sessionId;
    return a.systemId ?? (a.actorId !== a.sessionId ? a.actorId : a.name);
  }

  tree(): TreeNode[] {
    const nodes = new Map<string, TreeNode>();
    for (const a of this.actors.values()) nodes.set(a.sessionId, { actor: a, children: [] });
    const roots: TreeNode[] = [];
    for (const n of nodes.values()) {
      const p = n.actor.parentId ? nodes.get(n.actor.parentId) : undefined;
      (p ? p.children : roots).push(n);
    }
    const order = (x: TreeNode, y: TreeNode): number =>
      x.actor.createdAt - y.actor.createdAt || x.actor.sessionId.localeCompare(y.actor.sessionId, 'en', { numeric: true });
    const sort = (list: TreeNode[]): void => {
      list.sort(order);
      list.forEach((n) => sort(n.children));
    };
    sort(roots);
    return roots;
  }

  /** Forgets actors that ended more than a few seconds ago (probe runs come and go). */
  prune(serverNow: number, keep?: string): boolean {
    let removed = false;
    for (const a of this.actors.values()) {
      if (a.endedAt !== undefined && serverNow - a.endedAt > ENDED_ACTOR_TTL_MS && a.sessionId !== keep) {
        this.actors.delete(a.sessionId);
        this.timelines.delete(a.sessionId);
        removed = true;
      }
    }
    return removed;
  }
}
