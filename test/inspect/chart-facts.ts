// What the inspection tests need to know about statelet's real charts, read
// from the charts themselves (machine.toJSON() and the kubelet facts in their
// `meta`), so the tests follow the charts as they change: no state name here.

import { containerMachine, podMachine } from '../../machines/index.js';
import { indexStates, machineToJSON, stateTransitions, targetId } from '../../src/inspect/chart.js';
import type { MachineJSON, StateNodeJSON, TransitionJSON } from '../../src/inspect/protocol.js';

export interface ChartFacts {
  json: MachineJSON;
  states: StateNodeJSON[];
  /** State id → value path (`container.Waiting.CrashLoopBackOff` → `Waiting.CrashLoopBackOff`). */
  path(id: string): string;
  byReason(reason: string): StateNodeJSON;
  /** Every (child, parent) pair of nested states. */
  nested: Array<[string, string]>;
  /** Transitions out of a state, with their source. */
  from(id: string): TransitionJSON[];
  /** Eventless transitions whose target is `id`, with their sources. */
  eventlessInto(id: string): Array<{ source: string; t: TransitionJSON }>;
}

function facts(json: MachineJSON): ChartFacts {
  const index = indexStates(json);
  const states = [...index.values()].filter((s) => s.id !== json.id);
  const nested: Array<[string, string]> = [];
  for (const s of index.values()) for (const c of Object.values(s.states ?? {})) if (s.id !== json.id) nested.push([c.id, s.id]);
  return {
    json,
    states,
    path: (id) => (id.startsWith(`${json.id}.`) ? id.slice(json.id.length + 1) : id),
    byReason(reason) {
      const s = states.find((x) => (x.meta as { reason?: string } | undefined)?.reason === reason);
      if (!s) throw new Error(`${json.id}: no state with meta.reason ${reason}`);
      return s;
    },
    nested,
    from: (id) => stateTransitions(index.get(id) ?? ({} as StateNodeJSON)),
    eventlessInto(id) {
      const out: Array<{ source: string; t: TransitionJSON }> = [];
      for (const s of index.values()) for (const t of stateTransitions(s)) if (t.eventType === '' && (t.target ?? []).map(targetId).includes(id)) out.push({ source: s.id, t });
      return out;
    },
  };
}

let container: ChartFacts | undefined;
let pod: ChartFacts | undefined;

/** The container chart: its CrashLoopBackOff state is the one whose meta.reason says so; its running state the leaf whose meta.status is `running`. */
export function containerChart(): ChartFacts & { crashLoop: StateNodeJSON; running: StateNodeJSON } {
  container ??= facts(machineToJSON(containerMachine));
  const running = container.states.find((s) => (s.meta as { status?: string } | undefined)?.status === 'running' && !Object.keys(s.states ?? {}).length);
  if (!running) throw new Error('container chart: no leaf state with meta.status running');
  return { ...container, crashLoop: container.byReason('CrashLoopBackOff'), running };
}

export function podChart(): ChartFacts {
  pod ??= facts(machineToJSON(podMachine));
  return pod;
}
