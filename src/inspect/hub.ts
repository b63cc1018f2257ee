// The transport-independent half of the inspection server: receives XState
// inspection events, keeps the set of live actors, and turns events into wire
// messages (see protocol.ts) for connected clients.
//
// Cost model (inspection doubles the cost of every send, so this matters):
// - with no client connected, an event costs a Map update (actor created or
//   ended) or, for a microstep, one small record pushed into a ring buffer; no
//   serialization at all;
// - the last snapshot of an actor is never copied: we keep the actor ref and
//   read `getSnapshot()` when a client connects;
// - each machine definition is serialized once, when first needed;
// - with a client, snapshots are stringified by a cache that walks each
//   unchanged part of a context (a container's pod spec) only once;
// - a client may skip the per-actor Stately `definition` (?definitions=0).

import { Actor, StateMachine, type AnyActorRef, type AnyStateMachine, type InspectionEvent } from 'xstate';
import { guardLabel, machineToJSON } from './chart.js';
import {
  STATELET_PROTOCOL,
  STATELY_INSPECT_VERSION,
  type ActorMessage,
  type MachineJSON,
  type MachineMessage,
  type TakenTransition,
  type TransitionMessage,
} from './protocol.js';
import { PlainStringifier, safeStringify, toPlain } from './serialize.js';

export interface HubClient {
  /** Receives one JSON text message. Must not throw (errors are swallowed). */
  send(data: string): void;
}

export interface HubClientOptions {
  /**
   * Include the Stately `definition` (the machine config, several KB) in every
   * `@xstate.actor` message. Default true: Stately's inspector draws from it.
   * The statelet visualizer reads `@statelet.machine` (sent once per machine)
   * instead and connects with `?definitions=0`.
   */
  definitions?: boolean;
}

export interface InspectionHubOptions {
  /** Microsteps kept for clients that connect late (0 disables). Default 500. */
  historySize?: number;
  /** Depth limit for snapshots and events. Default 10, as @statelyai/inspect. */
  maxDepth?: number;
  /** Epoch-ms clock for `createdAt`/`time`. Default Date.now. */
  now?: () => number;
  log?: (msg: string) => void;
}

export interface InspectionHubStats {
  actors: number;
  machines: number;
  clients: number;
  history: number;
  /** Messages kept for late joiners with retain() (one per key: a pod's status). */
  retained: number;
}

interface RetainedEntry {
  sessionId: string | undefined;
  msg: object;
  /** JSON text, made when first needed. */
  text?: string;
}

interface MachineEntry {
  key: string;
  machine: MachineLike;
  jsonText: string;
  json: MachineJSON | undefined;
  /** Stately-style depth-limited `definition` string (lazy). */
  definition?: string;
  /** Already broadcast to the currently connected clients. */
  announced: boolean;
}

interface ActorEntry {
  ref: AnyActorRef;
  sessionId: string;
  rootId: string;
  parentId: string | undefined;
  createdAt: number;
  announced: boolean;
  /** Its `xstate.init` was seen: a root that never started (or was stopped first) is not live. */
  started: boolean;
  machine?: MachineEntry | null;
}

type MachineLike = AnyStateMachine;

/**
 * What an inspected actor was created from, read through XState's public API only: the
 * `Actor` class's `logic`, `options.parent` and `systemId` (the `ActorRef` interface
 * exposes none of them). Inspection events carry `Actor` instances; anything else
 * (a foreign ref) has no parent, logic or system id we can know.
 */
function actorParts(ref: AnyActorRef): { parent: AnyActorRef | undefined; logic: unknown; systemId: string | undefined } {
  if (ref instanceof Actor) return { parent: ref.options.parent, logic: ref.logic, systemId: ref.systemId };
  return { parent: undefined, logic: undefined, systemId: undefined };
}

function isMachine(logic: unknown): logic is MachineLike {
  return logic instanceof StateMachine;
}

/**
 * Whether an actor is still alive, by public state only: its snapshot is active and, for a
 * child, its parent still lists it in `snapshot.children` (XState removes a child from
 * there when it stops it, also one stopped before it ever started and sent a snapshot); a
 * root, once it started (XState gives no public sign of a root stopped before its start).
 */
function isLive(ref: AnyActorRef, parent: AnyActorRef | undefined, started: boolean): boolean {
  let snapshot: { status?: string } | undefined;
  try {
    snapshot = ref.getSnapshot() as { status?: string } | undefined;
  } catch {
    return false;
  }
  if (snapshot?.status !== 'active') return false;
  if (!parent) return started;
  const children = (parent.getSnapshot() as { children?: Record<string, unknown> } | undefined)?.children;
  return !!children && Object.values(children).includes(ref);
}

export class InspectionHub {
  private readonly actors = new Map<string, ActorEntry>();
  /** By machine config object: `machine.provide()` copies share it. */
  private readonly machineByConfig = new WeakMap<object, MachineEntry>();
  private readonly machinesById = new Map<string, MachineEntry[]>();
  private readonly machineKeys = new Set<string>();
  /** Client → whether it wants actor definitions. */
  private readonly clients = new Map<HubClient, boolean>();
  private readonly history: TransitionMessage[] = [];
  private historyStart = 0;
  private readonly retained = new Map<string, RetainedEntry>();
  private pending: ActorEntry[] = [];
  private flushScheduled = false;
  private seq = 0;
  private closed = false;
  private errorsLogged = 0;
  private readonly historySize: number;
  private readonly maxDepth: number;
  /** Snapshots and events: unchanged context parts are stringified once (see PlainStringifier). */
  private readonly plain: PlainStringifier;
  private readonly now: () => number;
  private readonly log: (msg: string) => void;

  constructor(opts: InspectionHubOptions = {}) {
    this.historySize = Math.max(0, opts.historySize ?? 500);
    this.maxDepth = opts.maxDepth ?? 10;
    this.plain = new PlainStringifier({ maxDepth: this.maxDepth });
    this.now = opts.now ?? Date.now;
    this.log = opts.log ?? (() => {});
  }

  /** Pass to `createActor(machine, { inspect })`. Never throws into XState. */
  readonly inspect = (ev: InspectionEvent): void => {
    if (this.closed) return;
    try {
      this.handle(ev);
    } catch (err) {
      // A bug here must not break the actor being inspected.
      if (this.errorsLogged++ < 5) this.log(`inspection: dropped ${ev.type}: ${(err as Error)?.message ?? err}`);
    }
  };

  /** Adds a client: it first receives the current picture, then live messages. Returns a remover. */
  addClient(client: HubClient, opts: HubClientOptions = {}): () => void {
    if (this.closed) return () => {};
    const definitions = opts.definitions ?? true;
    this.flushPending();
    this.replay(client, definitions);
    this.clients.set(client, definitions);
    return () => {
      this.clients.delete(client);
    };
  }

  stats(): InspectionHubStats {
    return {
      actors: this.actors.size,
      machines: this.machineKeys.size,
      clients: this.clients.size,
      history: this.history.length,
      retained: this.retained.size,
    };
  }

  /**
   * Sends a message (a `@statelet.*` fact that is not an XState event, such as
   * a pod's v1 status) to the connected clients, and to every client that
   * connects later until it is replaced (same key), forgotten, or its actor
   * ends. Nothing is serialized while no client is connected.
   */
  retain(key: string, sessionId: string | undefined, msg: object): void {
    if (this.closed) return;
    const entry: RetainedEntry = { sessionId, msg };
    this.retained.delete(key); // re-insert: replay keeps the order of the last updates
    this.retained.set(key, entry);
    // Entries of ended actors (deleted pods) go at the next replay; without clients, sweep now and then.
    if (this.retained.size > 2 * this.actors.size + 64) {
      for (const [k, r] of this.retained) if (r.sessionId !== undefined && !this.actors.has(r.sessionId)) this.retained.delete(k);
    }
    if (this.clients.size === 0) return;
    if (sessionId) this.ensureAnnounced(sessionId);
    entry.text = JSON.stringify(msg);
    this.broadcastRaw(entry.text);
  }

  forget(key: string): void {
    this.retained.delete(key);
  }

  close(): void {
    this.closed = true;
    this.clients.clear();
    this.actors.clear();
    this.pending = [];
    this.history.length = 0;
    this.retained.clear();
  }

  // ---- event handling ----

  private handle(ev: InspectionEvent): void {
    switch (ev.type) {
      case '@xstate.actor': {
        const ref = ev.actorRef as AnyActorRef;
        const entry: ActorEntry = {
          ref,
          sessionId: ref.sessionId,
          rootId: ev.rootId,
          parentId: actorParts(ref).parent?.sessionId,
          createdAt: this.now(),
          announced: false,
          started: false,
        };
        this.actors.set(entry.sessionId, entry);
        if (this.clients.size > 0) {
          // The actor's snapshot does not exist yet (XState reports the actor
          // from its constructor): announce it before its first event, or at
          // the end of the current job at the latest.
          this.pending.push(entry);
          if (!this.flushScheduled) {
            this.flushScheduled = true;
            queueMicrotask(() => this.flushPending());
          }
        }
        return;
      }
      case '@xstate.event': {
        const target = ev.actorRef as AnyActorRef;
        if (ev.event.type === 'xstate.init') {
          const entry = this.actors.get(target.sessionId);
          if (entry) entry.started = true;
        }
        if (this.clients.size === 0) return;
        const source = ev.sourceRef as AnyActorRef | undefined;
        if (source) this.ensureAnnounced(source.sessionId);
        this.ensureAnnounced(target.sessionId);
        // Written out by hand (EventMessage, same field order as Stately's): the
        // payload comes from the caching stringifier, not from JSON.stringify.
        const sourceId = source ? `"sourceId":${JSON.stringify(source.sessionId)},` : '';
        this.broadcastRaw(
          `{"type":"@xstate.event","event":${this.plain.stringify(ev.event)},${sourceId}"sessionId":${JSON.stringify(target.sessionId)},` +
            `"_version":"${STATELY_INSPECT_VERSION}","createdAt":"${this.now()}","id":null,"rootId":${JSON.stringify(ev.rootId)}}`,
        );
        return;
      }
      case '@xstate.snapshot': {
        const sessionId = (ev.actorRef as AnyActorRef).sessionId;
        const status = (ev.snapshot as { status?: string }).status;
        if (this.clients.size > 0) {
          this.ensureAnnounced(sessionId);
          // A SnapshotMessage, written out by hand (see @xstate.event).
          this.broadcastRaw(
            `{"type":"@xstate.snapshot","event":${this.plain.stringify(ev.event)},"snapshot":${this.plain.stringify(ev.snapshot)},` +
              `"sessionId":${JSON.stringify(sessionId)},"_version":"${STATELY_INSPECT_VERSION}","createdAt":"${this.now()}",` +
              `"id":null,"rootId":${JSON.stringify(ev.rootId)}}`,
          );
        }
        // Stopped, done and errored actors are gone for good: forget them so
        // late joiners see only live actors and memory stays bounded.
        if (status !== 'active') this.actors.delete(sessionId);
        return;
      }
      case '@xstate.microstep': {
        if (this.historySize === 0 && this.clients.size === 0) return;
        const m = ev;
        const transitions: TakenTransition[] = m._transitions.map((t) => {
          const taken: TakenTransition = {
            source: t.source.id,
            targets: t.target ? t.target.map((s) => s.id) : [],
            eventType: t.eventType,
          };
          const g = guardLabel(t.guard);
          if (g) taken.guard = g;
          // An `after` transition carries its delay; XState's definition type does not declare it.
          const { delay } = t as typeof t & { delay?: unknown };
          if (typeof delay === 'number' || typeof delay === 'string') taken.delay = delay;
          if (t.reenter) taken.reenter = true;
          return taken;
        });
        const rec: TransitionMessage = {
          type: '@statelet.transition',
          seq: ++this.seq,
          sessionId: m.actorRef.sessionId,
          rootId: m.rootId,
          time: this.now(),
          event: m.event.type,
          transitions,
          value: 'value' in m.snapshot ? m.snapshot.value : undefined,
          status: m.snapshot.status ?? 'active',
        };
        if (this.historySize > 0) this.remember(rec);
        if (this.clients.size > 0) {
          this.ensureAnnounced(rec.sessionId);
          this.broadcast(rec);
        }
        return;
      }
      default:
        return;
    }
  }

  private remember(rec: TransitionMessage): void {
    if (this.history.length < this.historySize) {
      this.history.push(rec);
    } else {
      this.history[this.historyStart] = rec;
      this.historyStart = (this.historyStart + 1) % this.historySize;
    }
  }

  private historyInOrder(): TransitionMessage[] {
    return this.history.slice(this.historyStart).concat(this.history.slice(0, this.historyStart));
  }

  // ---- announcing actors and machines ----

  private flushPending(): void {
    this.flushScheduled = false;
    const pending = this.pending;
    this.pending = [];
    if (this.clients.size === 0) return;
    for (const e of pending) this.ensureAnnounced(e.sessionId);
  }

  private ensureAnnounced(sessionId: string): void {
    const entry = this.actors.get(sessionId);
    if (!entry || entry.announced) return;
    entry.announced = true;
    if (entry.parentId) this.ensureAnnounced(entry.parentId);
    const machine = this.machineOf(entry);
    if (machine && !machine.announced) {
      machine.announced = true;
      this.broadcast(this.machineMessage(machine));
    }
    this.broadcastActor(this.actorMessage(entry, entry.ref.getSnapshot()));
  }

  private machineOf(entry: ActorEntry): MachineEntry | undefined {
    if (entry.machine !== undefined) return entry.machine ?? undefined;
    const logic = actorParts(entry.ref).logic;
    entry.machine = isMachine(logic) ? this.machineEntry(logic) : null;
    return entry.machine ?? undefined;
  }

  /** One entry per distinct machine: same config object, or same id and same JSON. */
  private machineEntry(machine: MachineLike): MachineEntry | null {
    const known = this.machineByConfig.get(machine.config);
    if (known) return known;
    let json: MachineJSON | undefined;
    let jsonText: string;
    try {
      json = machineToJSON(machine);
      jsonText = JSON.stringify(json);
    } catch {
      json = toPlain(machine.toJSON(), { maxDepth: 64 }) as MachineJSON;
      jsonText = JSON.stringify(json);
    }
    const sameId = this.machinesById.get(machine.id) ?? [];
    let entry = sameId.find((e) => e.jsonText === jsonText);
    if (!entry) {
      let key = machine.id;
      for (let i = 2; this.machineKeys.has(key); i++) key = `${machine.id}~${i}`;
      entry = { key, machine, jsonText, json, announced: false };
      this.machineKeys.add(key);
      sameId.push(entry);
      this.machinesById.set(machine.id, sameId);
    }
    this.machineByConfig.set(machine.config, entry);
    return entry;
  }

  private machineMessage(m: MachineEntry): MachineMessage {
    return {
      type: '@statelet.machine',
      machineId: m.key,
      id: m.machine.id,
      json: m.json as MachineJSON,
      _version: STATELY_INSPECT_VERSION,
    };
  }

  private actorMessage(entry: ActorEntry, snapshot: unknown): ActorMessage {
    const ref = entry.ref;
    const machine = this.machineOf(entry);
    let name = ref.id;
    let definition: string;
    if (machine) {
      machine.definition ??= safeStringify(machine.machine.config, { maxDepth: 10 });
      definition = machine.definition;
      if (name === ref.sessionId) name = machine.machine.id;
    } else {
      // Stately sends `{ id: name }` for logic that is not a machine (promise, callback).
      definition = JSON.stringify({ id: name });
    }
    const msg: ActorMessage = {
      type: '@xstate.actor',
      name,
      sessionId: entry.sessionId,
      createdAt: String(entry.createdAt),
      _version: STATELY_INSPECT_VERSION,
      rootId: entry.rootId,
      parentId: entry.parentId,
      id: null,
      definition,
      snapshot: toPlain(snapshot, { maxDepth: this.maxDepth }),
      actorId: ref.id,
    };
    const { systemId } = actorParts(ref);
    if (systemId !== undefined) msg.systemId = systemId;
    if (typeof ref.src === 'string') msg.src = ref.src;
    if (machine) msg.machineId = machine.key;
    return msg;
  }

  // ---- sending ----

  private replay(client: HubClient, definitions: boolean): void {
    const send = (msg: unknown): void => {
      try {
        client.send(JSON.stringify(msg));
      } catch {
        /* client gone; the transport removes it */
      }
    };
    send({ type: '@statelet.hello', protocol: STATELET_PROTOCOL, serverTime: this.now() });
    const live: Array<[ActorEntry, unknown]> = [];
    for (const entry of this.actors.values()) {
      // Catches actors stopped before they ever started (no snapshot event).
      if (!isLive(entry.ref, actorParts(entry.ref).parent, entry.started)) {
        this.actors.delete(entry.sessionId);
        continue;
      }
      const snapshot = entry.ref.getSnapshot();
      this.machineOf(entry);
      live.push([entry, snapshot]);
    }
    // Every machine known so far, not only those of live actors: a machine
    // counts as announced for all clients once broadcast.
    for (const list of this.machinesById.values()) {
      for (const m of list) {
        m.announced = true;
        send(this.machineMessage(m));
      }
    }
    for (const [entry, snapshot] of live) {
      entry.announced = true;
      const msg = this.actorMessage(entry, snapshot);
      send(definitions ? msg : { ...msg, definition: undefined });
    }
    for (const rec of this.historyInOrder()) send({ ...rec, replay: true });
    for (const [key, r] of this.retained) {
      if (r.sessionId !== undefined && !this.actors.has(r.sessionId)) {
        this.retained.delete(key); // its actor is gone
        continue;
      }
      try {
        client.send((r.text ??= JSON.stringify(r.msg)));
      } catch {
        /* client gone */
      }
    }
    send({ type: '@statelet.synced', actors: live.length });
  }

  /** An actor message, with or without its definition as each client asked. */
  private broadcastActor(msg: ActorMessage): void {
    let withDef: string | undefined;
    let withoutDef: string | undefined;
    for (const [c, definitions] of this.clients) {
      const data = definitions ? (withDef ??= JSON.stringify(msg)) : (withoutDef ??= JSON.stringify({ ...msg, definition: undefined }));
      try {
        c.send(data);
      } catch {
        /* the transport drops broken clients */
      }
    }
  }

  private broadcast(msg: unknown): void {
    this.broadcastRaw(JSON.stringify(msg));
  }

  private broadcastRaw(data: string): void {
    for (const c of this.clients.keys()) {
      try {
        c.send(data);
      } catch {
        /* the transport drops broken clients */
      }
    }
  }
}
