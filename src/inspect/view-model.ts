// The visualizer's model: folds inspection messages (protocol.ts) into an actor
// tree, a transition log and per-container timelines. Pure (no DOM, no node),
// bundled into the browser app and unit-tested under node.
//
// Container facts come from statelet's container chart: each state's
// `meta: { status, reason }` (the kubelet's container state and reason, e.g.
// waiting/CrashLoopBackOff) and the context (`restartCount`, `backOffUntil`
// and `backOffMs` while backing off, `lastTermination` for exits). Any chart
// works: without meta the state names decide, without those context fields
// the timeline falls back to state changes.

import {
  activeStateIds,
  describeEventType,
  indexStates,
  metaCategory,
  metaReason,
  metaStatus,
  stateTransitions,
  stateValueToString,
  type Category,
  type EventKind,
} from './chart.js';

export type { Category } from './chart.js';
import type { MachineJSON, StateNodeJSON, TransitionMessage } from './protocol.js';

export interface ActorView {
  sessionId: string;
  parentId?: string;
  rootId?: string;
  actorId: string;
  systemId?: string;
  name: string;
  /** Name of the logic in the parent's setup({ actors }) (`createContainer`), when known. */
  src?: string;
  machineId?: string;
  status: string;
  value: unknown;
  context: unknown;
  snapshot: unknown;
  /** Server epoch ms. */
  createdAt: number;
  /** Order in which the model first heard of the actor (creation order). */
  order: number;
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
  /** A replayed step: recorded states, chart path inferred between them. */
  inferred?: boolean;
}

export interface Segment {
  start: number;
  end?: number;
  valueText: string;
  category: Category;
  reason?: string;
}

export interface Marker {
  time: number;
  kind: 'start' | 'exit' | 'backoff' | 'probe';
  label: string;
  /** For exits: the instance's exit code. */
  exitCode?: number;
  /** For back-offs: the period (context.backOffMs). */
  backOffMs?: number;
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
  /** The current back-off period (context.backOffMs), if known. */
  backOffMs?: number;
}

/** The last exit of a container instance, from context.lastTermination. */
export interface ExitInfo {
  id?: string;
  exitCode?: number;
  reason?: string;
  /** Epoch ms. */
  finishedAt?: number;
}

export interface TreeNode {
  actor: ActorView;
  children: TreeNode[];
}

/** A pod as the actor list shows it: from `@statelet.podStatus` when the server sends it, else from the actor. */
export interface PodView {
  sessionId: string;
  name: string;
  /** '' when unknown (an actor id without `<namespace>/`). */
  namespace: string;
  uid?: string;
  /** v1 PodStatus phase, when known. */
  phase?: string;
  /** Sum of the containers' restart counts (kubectl's RESTARTS). */
  restarts: number;
  /** Ready containers / containers, when the status is known (`2/3`). */
  ready?: string;
  /** The last v1 PodStatus received. */
  status?: Record<string, unknown>;
  /** When that status was received (server epoch ms). */
  statusTime?: number;
}

export interface TreeFilter {
  /** Substring of a pod's or container's name (case-insensitive). */
  name?: string;
  /** Exact namespace; '' or undefined: all. */
  namespace?: string;
  /** Substring of a state value, kubelet reason or pod phase (case-insensitive). */
  state?: string;
  /** Also list calls (CRI requests, hooks). Default true. */
  calls?: boolean;
  /** An ended actor that stays listed (the selection; see tree()). */
  keep?: string;
}

export interface TreeGroup {
  /** '' for roots without a namespace. */
  namespace: string;
  nodes: TreeNode[];
  /** Pods in the namespace before filtering. */
  total: number;
}

export interface Change {
  reset?: boolean;
  tree?: boolean;
  machines?: boolean;
  log?: boolean;
  /** A pod's status (phase, restarts) changed. */
  pods?: boolean;
  actors: Set<string>;
}

const NAME_CATEGORY: Array<[RegExp, Category]> = [
  [/back-?off|crash-?loop/i, 'backoff'],
  [/exited|terminated|completed|failed|error|dead|killed|stopped|oom/i, 'exited'],
  [/running|started|^up$|^ready$/i, 'running'],
  [/wait|creat|pull|pending|start|init|prepar|sandbox/i, 'waiting'],
];
const PRIORITY: Category[] = ['backoff', 'exited', 'running', 'waiting', 'other'];

const MAX_SEGMENTS = 300;
/** Ended state machines (a container's probes) stay visible this long, unless a newer one replaces them. */
const ENDED_ACTOR_TTL_MS = 30_000;
/** Ended calls (CRI promise actors) leave the tree at once and the model after this. */
const ENDED_CALL_TTL_MS = 3000;
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
  /** A fixed "now" (server epoch ms): a replay's scrubber position. */
  nowOverride: number | undefined;
  synced = false;
  /** Latest `@statelet.podStatus` per pod actor. */
  readonly podStatuses = new Map<string, { uid: string; name: string; namespace: string; time: number; status: Record<string, unknown> }>();
  /** Children per parent session id. */
  private readonly kids = new Map<string, Set<string>>();
  /** When a probe failure was last marked, per actor and probe. */
  private probeLast = new Map<string, number>();
  private stateIndexes = new Map<string, Map<string, StateNodeJSON>>();
  private containerLikeMachines = new Map<string, boolean>();
  private replayValues: Array<[string, unknown, number]> = [];
  private nextOrder = 0;
  private statusMachines = new Map<string, boolean>();
  /** Last context.lastTermination seen per actor (id@finishedAt). */
  private exitKeys = new Map<string, string>();

  constructor(readonly maxLog = 2000) {}

  reset(): void {
    this.actors.clear();
    this.machines.clear();
    this.timelines.clear();
    this.log = [];
    this.stateIndexes.clear();
    this.containerLikeMachines.clear();
    this.replayValues = [];
    this.exitKeys.clear();
    this.statusMachines.clear();
    this.podStatuses.clear();
    this.kids.clear();
    this.probeLast.clear();
    this.synced = false;
  }

  serverNow(localNow: number = Date.now()): number {
    return this.nowOverride ?? localNow + this.serverOffset;
  }

  private link(a: ActorView): void {
    if (!a.parentId) return;
    let set = this.kids.get(a.parentId);
    if (!set) this.kids.set(a.parentId, (set = new Set()));
    set.add(a.sessionId);
  }

  /** Session ids of an actor's children (any order). */
  childrenOf(sessionId: string): string[] {
    return [...(this.kids.get(sessionId) ?? [])].filter((id) => this.actors.has(id));
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
        for (const [sessionId, value, time] of this.replayValues) {
          this.noteValue(sessionId, value, time);
          this.noteContext(sessionId, time);
        }
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
          src: typeof msg.src === 'string' ? msg.src : undefined,
          machineId: typeof msg.machineId === 'string' ? msg.machineId : undefined,
          status: typeof snap.status === 'string' ? snap.status : 'active',
          value: snap.value,
          context: snap.context,
          snapshot: snap,
          createdAt: prev?.createdAt ?? createdAt,
          order: prev?.order ?? this.nextOrder++,
          updatedAt: now,
        };
        this.actors.set(a.sessionId, a);
        this.link(a);
        if (this.synced) {
          this.noteValue(a.sessionId, a.value, createdAt);
          this.noteContext(a.sessionId, createdAt);
        } else this.replayValues.push([a.sessionId, a.value, createdAt]);
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
        this.noteContext(a.sessionId, num(msg.createdAt) ?? now);
        change.actors.add(a.sessionId);
        // A value change updates the actor's row; an end changes the tree's shape.
        if (wasStatus !== a.status) change.tree = true;
        break;
      }
      case '@xstate.event': {
        if (typeof msg.sessionId !== 'string') break;
        const a = this.actors.get(msg.sessionId);
        const ev = msg.event as { type?: unknown; probe?: unknown; result?: unknown; at?: unknown } | undefined;
        if (a && typeof ev?.type === 'string') a.lastEvent = ev.type;
        // Probe failures reaching a container (statelet's probe → container contract): each
        // failed attempt's Unhealthy record (the kubelet's event), or a published failure
        // `{ probe, result: 'failure', at }`. One attempt gives one marker.
        if (a && ev && typeof ev.probe === 'string' && this.isContainerLike(a.sessionId)) {
          const rec = (ev as { event?: { reason?: unknown; message?: unknown } }).event;
          const evAt = num(ev.at);
          let label: string | undefined;
          let at = num(msg.createdAt) ?? now;
          if (rec && rec.reason === 'Unhealthy') label = String(rec.message ?? `${ev.probe} probe failed`).split(':')[0];
          else if (ev.result === 'failure') {
            label = `${ev.probe} probe failed`;
            if (evAt !== undefined && evAt >= PLAUSIBLE_EPOCH_MS) at = evAt;
          }
          if (label) {
            const last = this.probeLast.get(`${a.sessionId}\u0000${ev.probe}`);
            if (last === undefined || Math.abs(at - last) > 250) {
              this.probeLast.set(`${a.sessionId}\u0000${ev.probe}`, at);
              this.pushMarker(this.timeline(a.sessionId), { time: at, kind: 'probe', label });
              change.actors.add(a.sessionId);
            }
          }
        }
        break;
      }
      case '@statelet.podStatus': {
        if (typeof msg.sessionId !== 'string' || !msg.status || typeof msg.status !== 'object') break;
        this.podStatuses.set(msg.sessionId, {
          uid: String(msg.uid ?? ''),
          name: String(msg.name ?? ''),
          namespace: String(msg.namespace ?? ''),
          time: num(msg.time) ?? now,
          status: msg.status as Record<string, unknown>,
        });
        change.actors.add(msg.sessionId);
        change.pods = true;
        break;
      }
      case '@statelet.marker': {
        if (typeof msg.sessionId !== 'string' || !this.actors.has(msg.sessionId)) break;
        const kind = msg.kind === 'probe' || msg.kind === 'exit' || msg.kind === 'start' || msg.kind === 'backoff' ? msg.kind : undefined;
        if (!kind) break;
        this.pushMarker(this.timeline(msg.sessionId), { time: num(msg.time) ?? now, kind, label: String(msg.label ?? kind) });
        change.actors.add(msg.sessionId);
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
        order: this.nextOrder++,
        updatedAt: now,
      };
      this.actors.set(sessionId, a);
    }
    return a;
  }

  // ---- pods ----

  /** The root of an actor's tree (its pod). */
  rootOf(sessionId: string): string {
    let root = sessionId;
    for (let p = this.actors.get(root)?.parentId; p && this.actors.has(p); p = this.actors.get(p)?.parentId) root = p;
    return root;
  }

  /** What the actor list shows for a root actor: name, namespace, phase, restarts. */
  podView(sessionId: string): PodView {
    const a = this.actors.get(sessionId);
    const ps = this.podStatuses.get(sessionId);
    let name = ps?.name || '';
    let namespace = ps?.namespace ?? '';
    if (!ps && a) {
      // statelet names pod actors `<namespace>/<name>`.
      const m = /^([^/]+)\/(.+)$/.exec(a.actorId);
      if (m) [namespace, name] = [m[1]!, m[2]!];
    }
    if (!name) name = a ? this.label(sessionId) : sessionId;
    const view: PodView = { sessionId, name, namespace, restarts: 0 };
    const status = ps?.status;
    if (status) {
      view.uid = ps.uid;
      view.status = status;
      view.statusTime = ps.time;
      if (typeof status.phase === 'string') view.phase = status.phase;
      let ready = 0;
      let total = 0;
      for (const k of ['initContainerStatuses', 'containerStatuses']) {
        const list = status[k];
        if (!Array.isArray(list)) continue;
        for (const c of list as Array<Record<string, unknown>>) {
          view.restarts += num(c.restartCount) ?? 0;
          if (k === 'containerStatuses') {
            total++;
            if (c.ready === true) ready++;
          }
        }
      }
      view.ready = `${ready}/${total}`;
    } else {
      for (const id of this.childrenOf(sessionId)) {
        const ctx = this.actors.get(id)?.context as Record<string, unknown> | undefined;
        view.restarts += num(ctx?.restartCount) ?? 0;
      }
    }
    return view;
  }

  /** Lower-cased words a state filter matches for an actor: its state value, kubelet reason and status, and a pod's phase. */
  stateText(sessionId: string): string {
    const a = this.actors.get(sessionId);
    if (!a) return '';
    const parts = [stateValueToString(a.value), a.status];
    if (a.machineId) {
      const { reason, status } = this.classify(sessionId);
      if (reason) parts.push(reason);
      if (status) parts.push(status);
    }
    const phase = this.podStatuses.get(sessionId)?.status.phase;
    if (typeof phase === 'string') parts.push(phase);
    return parts.join(' ').toLowerCase();
  }

  /**
   * The actor list at node scale: roots (pods) grouped by namespace, their
   * containers under them, filtered by name, namespace and state. A pod is
   * listed when it matches, or when one of its descendants does (then only the
   * matching ones are listed under it).
   */
  groupedTree(filter: TreeFilter = {}): TreeGroup[] {
    const name = filter.name?.trim().toLowerCase() ?? '';
    const state = filter.state?.trim().toLowerCase() ?? '';
    const calls = filter.calls ?? true;
    type Match = (id: string, root: boolean) => boolean;
    const tests: Match[] = [];
    if (name) {
      tests.push((id, root) => this.label(id).toLowerCase().includes(name) || (root && this.podView(id).name.toLowerCase().includes(name)));
    }
    if (state) tests.push((id) => this.stateText(id).includes(state));
    const anywhere = (n: TreeNode, t: Match, root: boolean): boolean => t(n.actor.sessionId, root) || n.children.some((c) => anywhere(c, t, false));
    // A test an actor passes itself no longer restricts what is listed under it
    // (`web-1` + `CrashLoopBackOff`: that pod, with its containers in the back-off).
    const prune = (n: TreeNode, root: boolean, restricting: Match[]): TreeNode | undefined => {
      if (!n.actor.machineId && !calls) return undefined;
      if (!restricting.every((t) => anywhere(n, t, root))) return undefined;
      const still = restricting.filter((t) => !t(n.actor.sessionId, root));
      const children: TreeNode[] = [];
      for (const c of n.children) {
        const k = prune(c, false, still);
        if (k) children.push(k);
      }
      return { actor: n.actor, children };
    };
    const groups = new Map<string, TreeGroup>();
    for (const r of this.tree({ keep: filter.keep })) {
      const ns = this.podView(r.actor.sessionId).namespace;
      let g = groups.get(ns);
      if (!g) groups.set(ns, (g = { namespace: ns, nodes: [], total: 0 }));
      g.total++;
      if (filter.namespace && ns !== filter.namespace) continue;
      const kept = prune(r, true, tests);
      if (kept) g.nodes.push(kept);
    }
    return [...groups.values()].sort((x, y) => x.namespace.localeCompare(y.namespace));
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
      inferred: m.inferred || undefined,
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

  /**
   * Container category of an actor's state: from the deepest active state's
   * `meta` (reason, then the kubelet status), else from state names.
   */
  classify(sessionId: string, value?: unknown): { category: Category; reason?: string; status?: string } {
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
    let status: string | undefined;
    for (const s of nodes) {
      reason ||= metaReason(s) || undefined;
      status ??= metaStatus(s);
    }
    const fromMeta = metaCategory(reason, status);
    if (fromMeta) return { category: fromMeta, reason, status };
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
    return { category: best, reason, status };
  }

  private timeline(sessionId: string): Timeline {
    let tl = this.timelines.get(sessionId);
    if (!tl) {
      tl = { segments: [], markers: [] };
      this.timelines.set(sessionId, tl);
    }
    return tl;
  }

  private pushMarker(tl: Timeline, m: Marker): void {
    // Keep markers in time order (an exit's finishedAt may precede the state change that
    // reports it); an exit goes before what happened at the same instant (restart, back-off).
    let i = tl.markers.length;
    const after = (x: Marker | undefined): boolean => !!x && (x.time > m.time || (m.kind === 'exit' && x.kind !== 'exit' && x.time === m.time));
    while (i > 0 && after(tl.markers[i - 1])) i--;
    tl.markers.splice(i, 0, m);
    if (tl.markers.length > MAX_SEGMENTS) tl.markers.splice(0, tl.markers.length - MAX_SEGMENTS);
  }

  private noteValue(sessionId: string, value: unknown, time: number): void {
    if (value === undefined) return;
    const valueText = stateValueToString(value);
    const tl = this.timeline(sessionId);
    const last = tl.segments[tl.segments.length - 1];
    if (last && last.valueText === valueText) return;
    const t = last && time < last.start ? last.start : time;
    if (last) last.end = t;
    const { category, reason } = this.classify(sessionId, value);
    tl.segments.push({ start: t, valueText, category, reason });
    const prev = last?.category;
    if (category === 'running' && prev !== 'running') this.pushMarker(tl, { time: t, kind: 'start', label: 'started' });
    if (prev === 'running' && category !== 'running' && !this.hasTerminationField(sessionId)) {
      // Charts without context.lastTermination: leaving a running state is the exit.
      const ctx = this.actors.get(sessionId)?.context as Record<string, unknown> | undefined;
      const code = num(ctx?.lastExitCode ?? ctx?.exitCode);
      this.pushMarker(tl, { time: t, kind: 'exit', label: code === undefined ? 'exited' : `exited (${code})`, exitCode: code });
    }
    // The period (context.backOffMs) is added by noteContext once the snapshot after this step arrives.
    if (category === 'backoff' && prev !== 'backoff') this.pushMarker(tl, { time: t, kind: 'backoff', label: reason ?? 'back-off' });
    if (tl.segments.length > MAX_SEGMENTS) tl.segments.splice(0, tl.segments.length - MAX_SEGMENTS);
  }

  /** statelet's container chart (states carry the kubelet status in meta): exits come from context.lastTermination. */
  private hasTerminationField(sessionId: string): boolean {
    const machineId = this.actors.get(sessionId)?.machineId;
    if (!machineId) return false;
    let known = this.statusMachines.get(machineId);
    if (known === undefined) {
      known = false;
      for (const s of this.stateIndex(machineId)?.values() ?? []) if (metaStatus(s) === 'terminated') known = true;
      this.statusMachines.set(machineId, known);
    }
    return known;
  }

  /** The newest exited instance of a container (context.lastTermination), if any. */
  lastExit(sessionId: string): ExitInfo | undefined {
    const ctx = this.actors.get(sessionId)?.context as Record<string, unknown> | undefined;
    return this.exitFrom(ctx?.lastTermination);
  }

  private exitFrom(lt: unknown): ExitInfo | undefined {
    if (!lt || typeof lt !== 'object') return undefined;
    const o = lt as Record<string, unknown>;
    return {
      id: typeof o.id === 'string' ? o.id : undefined,
      exitCode: num(o.exitCode),
      reason: typeof o.reason === 'string' ? o.reason : undefined,
      finishedAt: num(o.finishedAt),
    };
  }

  /**
   * Context-driven timeline facts (statelet's container chart): an exit marker
   * per new context.lastTermination (and, the first time, previousTermination,
   * for a client that joined late), and the back-off period on the back-off
   * marker once the context carries it.
   */
  private noteContext(sessionId: string, time: number): void {
    const ctx = this.actors.get(sessionId)?.context as Record<string, unknown> | undefined;
    if (!ctx || typeof ctx !== 'object') return;
    const tl = this.timeline(sessionId);
    const lastBackOff = tl.markers.findLast((m) => m.kind === 'backoff');
    const ms = num(ctx.backOffMs);
    if (lastBackOff && lastBackOff.backOffMs === undefined && ms !== undefined && tl.segments.at(-1)?.category === 'backoff') {
      lastBackOff.backOffMs = ms;
      lastBackOff.label += ` ${fmtSeconds(ms)}`;
    }
    const exit = this.exitFrom(ctx.lastTermination);
    if (!exit) return;
    const key = `${exit.id ?? ''}@${exit.finishedAt ?? ''}`;
    const seen = this.exitKeys.get(sessionId);
    if (seen === key) return;
    this.exitKeys.set(sessionId, key);
    const previous = seen === undefined ? this.exitFrom(ctx.previousTermination) : undefined;
    for (const e of previous ? [previous, exit] : [exit]) {
      const at = e.finishedAt !== undefined && e.finishedAt >= PLAUSIBLE_EPOCH_MS && e.finishedAt <= time + 1000 ? e.finishedAt : time;
      const code = e.exitCode;
      this.pushMarker(tl, {
        time: at,
        kind: 'exit',
        label: `exited${code !== undefined ? ` ${code}` : ''}${e.reason ? ` (${e.reason})` : ''}`,
        exitCode: code,
      });
    }
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
    const info: BackOffInfo = {
      since,
      reason,
      until,
      remainingMs: until === undefined ? undefined : Math.max(0, until - serverNow),
    };
    const ms = num(ctx?.backOffMs);
    if (ms !== undefined) info.backOffMs = ms;
    return info;
  }

  /**
   * Whether an actor is a container: a state machine whose id says so
   * (`container:<name>`), or whose chart carries kubelet container states
   * (`meta.status`) or back-off states, or whose context has back-off fields.
   */
  isContainerLike(sessionId: string): boolean {
    const a = this.actors.get(sessionId);
    if (!a || !a.machineId) return false;
    if (/^container[:/]/i.test(a.systemId ?? '') || /^container[:/]/i.test(a.actorId) || /container/i.test(a.machineId)) return true;
    const ctx = a.context as Record<string, unknown> | undefined;
    if (ctx && typeof ctx === 'object' && ('backOffUntil' in ctx || 'restartCount' in ctx)) return true;
    let known = this.containerLikeMachines.get(a.machineId);
    if (known === undefined) {
      known = false;
      for (const s of this.stateIndex(a.machineId)?.values() ?? []) {
        const st = metaStatus(s);
        if (st === 'waiting' || st === 'terminated' || /back-?off/i.test(s.key) || /BackOff/.test(metaReason(s) ?? '')) known = true;
      }
      this.containerLikeMachines.set(a.machineId, known);
    }
    return known;
  }

  /** Container-like actors in the tree of the selected actor (pod), or the selection itself. */
  timelineActors(selected: string | undefined): string[] {
    if (!selected || !this.actors.has(selected)) return [];
    const root = this.rootOf(selected);
    // Every container of the pod: the live one per name (a replaced instance only while selected).
    const newest = this.newestById();
    const out: string[] = [];
    const visit = (id: string): void => {
      const a = this.actors.get(id);
      if (!a) return;
      if (a.status !== 'active' && id !== selected && (!a.machineId || this.superseded(a, newest))) return;
      if (this.isContainerLike(id)) out.push(id);
      const kids = this.childrenOf(id).map((k) => this.actors.get(k)!);
      kids.sort((x, y) => x.createdAt - y.createdAt || x.order - y.order);
      for (const k of kids) visit(k.sessionId);
    };
    visit(root);
    return out.length ? out : [selected];
  }

  /**
   * Display name: the systemId, else the actor id without its machine's
   * prefix (`container:crasher` → `crasher`), else the logic's name for
   * anonymous children (`x:12` spawned from 'removeContainer').
   */
  label(sessionId: string): string {
    const a = this.actors.get(sessionId);
    if (!a) return sessionId;
    if (a.systemId) return a.systemId;
    if (a.actorId !== a.sessionId && !/^x:\d+$/.test(a.actorId)) {
      const prefix = a.machineId ? `${a.machineId.replace(/~\d+$/, '')}:` : '';
      return prefix && a.actorId.startsWith(prefix) && a.actorId.length > prefix.length ? a.actorId.slice(prefix.length) : a.actorId;
    }
    return a.src ?? a.name;
  }

  /** A state machine actor (pod, container, probe) rather than a call (CRI request, hook). */
  isMachine(sessionId: string): boolean {
    return !!this.actors.get(sessionId)?.machineId;
  }

  /** For each (parent, actor id): the newest actor's creation order (to tell replaced actors). */
  private newestById(): Map<string, number> {
    const m = new Map<string, number>();
    for (const a of this.actors.values()) {
      const k = `${a.parentId ?? ''}\u0000${a.actorId}`;
      const t = m.get(k);
      if (t === undefined || a.order > t) m.set(k, a.order);
    }
    return m;
  }

  /** Whether an ended actor is replaced by a newer sibling of the same id (the probes of the next instance). */
  private superseded(a: ActorView, newest: Map<string, number>): boolean {
    return (newest.get(`${a.parentId ?? ''}\u0000${a.actorId}`) ?? a.order) > a.order;
  }

  /**
   * The actor tree. Calls (actors without a chart: CRI requests, hooks) are
   * listed only while they run; ended state machines stay (greyed) until a
   * newer one with the same id replaces them or they are pruned.
   */
  tree(opts: { keep?: string } = {}): TreeNode[] {
    const nodes = new Map<string, TreeNode>();
    const newest = this.newestById();
    for (const a of this.actors.values()) {
      if (a.status !== 'active' && a.sessionId !== opts.keep && (!a.machineId || this.superseded(a, newest))) continue;
      nodes.set(a.sessionId, { actor: a, children: [] });
    }
    const roots: TreeNode[] = [];
    for (const n of nodes.values()) {
      const p = n.actor.parentId ? nodes.get(n.actor.parentId) : undefined;
      if (p) p.children.push(n);
      else if (!n.actor.parentId || !this.actors.has(n.actor.parentId)) roots.push(n);
    }
    // Machines first (pod → containers → probes), calls after; each by creation.
    const order = (x: TreeNode, y: TreeNode): number =>
      Number(!x.actor.machineId) - Number(!y.actor.machineId) ||
      x.actor.createdAt - y.actor.createdAt ||
      x.actor.order - y.actor.order;
    const sort = (list: TreeNode[]): void => {
      list.sort(order);
      list.forEach((n) => sort(n.children));
    };
    sort(roots);
    return roots;
  }

  /** Forgets ended actors: calls after a few seconds, machines once replaced or after a while. */
  prune(serverNow: number, keep?: string): boolean {
    let removed = false;
    const newest = this.newestById();
    for (const a of [...this.actors.values()]) {
      if (a.endedAt === undefined || a.sessionId === keep) continue;
      const age = serverNow - a.endedAt;
      const gone = a.machineId ? age > ENDED_ACTOR_TTL_MS || (age > ENDED_CALL_TTL_MS && this.superseded(a, newest)) : age > ENDED_CALL_TTL_MS;
      if (gone) {
        this.actors.delete(a.sessionId);
        this.timelines.delete(a.sessionId);
        this.exitKeys.delete(a.sessionId);
        for (const k of this.probeLast.keys()) if (k.startsWith(`${a.sessionId}\u0000`)) this.probeLast.delete(k);
        this.podStatuses.delete(a.sessionId);
        if (a.parentId) this.kids.get(a.parentId)?.delete(a.sessionId);
        this.kids.delete(a.sessionId);
        removed = true;
      }
    }
    return removed;
  }
}

function fmtSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${(ms / 1000).toFixed(1)}s`;
}
