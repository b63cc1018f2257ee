// Wire format of the inspection stream (server → client, JSON text frames).
//
// The three `@xstate.*` messages mirror what @statelyai/inspect's
// createWebSocketInspector sends (its convertXStateEvent, v0.7.x), so a Stately
// inspector client can consume this stream unchanged. We add a few fields to
// `@xstate.actor` (actorId, systemId, machineId) and our own `@statelet.*`
// messages; a Stately client ignores both.
//
// This file is imported by the browser bundle too: no node imports here.

/** The @statelyai/inspect version whose message format we mirror. */
export const STATELY_INSPECT_VERSION = '0.7.2';
/** Bumped when a `@statelet.*` message changes incompatibly. */
export const STATELET_PROTOCOL = 1;

/** An actor was created (or, on replay, is alive). */
export interface ActorMessage {
  type: '@xstate.actor';
  name: string;
  sessionId: string;
  createdAt: string;
  _version: string;
  rootId: string | undefined;
  parentId: string | undefined;
  id: null;
  /** Depth-limited JSON of the machine config (Stately format; truncated at depth 10). */
  definition: string | undefined;
  snapshot: unknown;
  // statelet additions
  actorId: string;
  systemId?: string;
  /** Key of the `@statelet.machine` message describing this actor's machine. */
  machineId?: string;
  /** The logic's name in the parent's `setup({ actors })` (`src: 'createContainer'`), when it was given by name. */
  src?: string;
}

/** An event was delivered to an actor. */
export interface EventMessage {
  type: '@xstate.event';
  event: unknown;
  sourceId: string | undefined;
  sessionId: string;
  _version: string;
  createdAt: string;
  id: null;
  rootId: string;
}

/** An actor's snapshot changed (after a macrostep). */
export interface SnapshotMessage {
  type: '@xstate.snapshot';
  event: unknown;
  snapshot: unknown;
  sessionId: string;
  _version: string;
  createdAt: string;
  id: null;
  rootId: string;
}

/** Full `machine.toJSON()` of one distinct machine (not depth-truncated), sent before any actor using it. */
export interface MachineMessage {
  type: '@statelet.machine';
  machineId: string;
  /** The machine's own id (`machine.id`); machineId differs only when two machines share an id. */
  id: string;
  json: MachineJSON;
  _version: string;
}

/** One transition taken inside a microstep. */
export interface TakenTransition {
  /** Source state node id, e.g. `container.running`. */
  source: string;
  /** Target state node ids; empty for a targetless transition. */
  targets: string[];
  /** The transition's event descriptor ('' for eventless `always`). */
  eventType: string;
  guard?: string;
  /** For `after` transitions: the delay (ms number or named delay). */
  delay?: string | number;
  reenter?: boolean;
}

/** One microstep of an actor: the transitions taken and the resulting state value. */
export interface TransitionMessage {
  type: '@statelet.transition';
  seq: number;
  sessionId: string;
  rootId: string;
  /** Epoch ms (server clock). */
  time: number;
  /** Type of the event that caused the microstep. */
  event: string;
  transitions: TakenTransition[];
  /** State value after the microstep. */
  value: unknown;
  /** Snapshot status after the microstep ('active' | 'done' | 'error' | 'stopped'). */
  status: string;
  /** True when sent from the server's history on connect. */
  replay?: boolean;
  /** Rebuilt from recorded state values (a replay): the chart path between them, not the live microstep. */
  inferred?: boolean;
}

/**
 * A pod's v1 PodStatus as statelet reports it (phase, conditions, container
 * statuses), for the pod actor `sessionId`. Sent on every status change; a
 * client that connects late gets the latest one of each live pod.
 */
export interface PodStatusMessage {
  type: '@statelet.podStatus';
  sessionId: string;
  uid: string;
  name: string;
  namespace: string;
  /** Epoch ms. */
  time: number;
  /** A v1 PodStatus (see src/k8s/types.ts). */
  status: unknown;
}

/** A fact for an actor's timeline that its snapshots do not carry (a replayed probe failure). */
export interface MarkerMessage {
  type: '@statelet.marker';
  sessionId: string;
  /** Epoch ms. */
  time: number;
  kind: 'probe' | 'exit' | 'start' | 'backoff';
  label: string;
}

/** First message on every connection. A client resets its model on it. */
export interface HelloMessage {
  type: '@statelet.hello';
  protocol: number;
  /** Server epoch ms, lets a client correct for clock skew. */
  serverTime: number;
}

/** Sent after the replay of machines, live actors and history. */
export interface SyncedMessage {
  type: '@statelet.synced';
  actors: number;
}

export type ServerMessage =
  | ActorMessage
  | EventMessage
  | SnapshotMessage
  | MachineMessage
  | TransitionMessage
  | HelloMessage
  | SyncedMessage
  | PodStatusMessage
  | MarkerMessage;

// ---- replay (`statelet visualize <run.ndjson>`) ----

/** A core/v1 Event line of a recorded run, with the time it was written at. */
export interface ReplayEvent {
  /** Epoch ms: when the line was written (estimated from the lines around it). */
  at: number;
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  firstTimestamp?: string;
  lastTimestamp?: string;
  involvedObject?: { kind?: string; name?: string; namespace?: string; uid?: string; fieldPath?: string };
}

/**
 * What the visualizer replays (served as /replay.json): the stream a live
 * client would have received, rebuilt from a recorded `--output json` run.
 * `preamble` is applied first (hello, machines, synced); each entry at its time.
 */
export interface ReplayData {
  type: 'statelet.replay';
  version: 1;
  /** The file replayed. */
  source: string;
  /** Epoch ms of the first and last line. */
  start: number;
  end: number;
  preamble: ServerMessage[];
  entries: Array<{ at: number; msg: ServerMessage }>;
  events: ReplayEvent[];
  /** Counts of what was read, for the page's header. */
  stats: { lines: number; transitions: number; events: number; statuses: number; skipped: number; inferred: number };
}

// ---- machine.toJSON() shape (the subset we read) ----

export interface TransitionJSON {
  eventType: string;
  target?: string[];
  source?: string;
  guard?: unknown;
  delay?: string | number;
  reenter?: boolean;
  actions?: unknown[];
}

export interface InvokeJSON {
  id?: string;
  src?: unknown;
  type?: string;
}

export interface StateNodeJSON {
  id: string;
  key: string;
  type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history' | string;
  initial?: { target?: string[] } | string;
  history?: boolean | 'shallow' | 'deep';
  states?: Record<string, StateNodeJSON>;
  on?: Record<string, TransitionJSON[]>;
  transitions?: TransitionJSON[];
  entry?: unknown[];
  exit?: unknown[];
  meta?: unknown;
  order?: number;
  invoke?: InvokeJSON[];
  tags?: string[];
  description?: string;
}

export type MachineJSON = StateNodeJSON;
