// Test helpers for the probe machine: a tiny parent that invokes it and records
// what it sends up, a scripted runProbe, and a SimulatedClock driver.
import { assign, createActor, fromPromise, sendTo, setup, SimulatedClock, type Actor, type Snapshot } from 'xstate';
import {
  probeMachine,
  type ProbeInput,
  type ProbeOutcome,
  type ProbeToParentEvent,
  type RunProbeInput,
  type RunProbeOutput,
} from '../../machines/probe.js';
import type { Container, Pod, Probe } from '../../src/k8s/types.js';

export const T0 = 1_700_000_000_000;

export function pod(container: Container): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', uid: 'uid-p' },
    spec: { containers: [container], restartPolicy: 'Always' },
  } as Pod;
}

export function probe(extra: Partial<Probe> = {}): Probe {
  return {
    exec: { command: ['true'] },
    initialDelaySeconds: 0,
    timeoutSeconds: 1,
    periodSeconds: 10,
    successThreshold: 1,
    failureThreshold: 3,
    ...extra,
  };
}

export function input(type: ProbeInput['type'], p: Probe | undefined, extra: Partial<ProbeInput> = {}): ProbeInput {
  const container: Container = { name: 'c', image: 'img' };
  return {
    type,
    probe: p,
    pod: pod(container),
    container,
    containerId: 'cid-1',
    podIP: '127.0.0.1',
    startedAt: T0,
    now: T0,
    gated: false,
    ...extra,
  };
}

/** One scripted attempt: an outcome, or 'error' (the actor rejects). */
export type Step = ProbeOutcome | 'error';

export interface Script {
  /** Times (ms since T0) at which runProbe was called. */
  calls: number[];
  actor: ReturnType<typeof fromPromise<RunProbeOutput, RunProbeInput>>;
}

/** A runProbe that answers from `steps` in order (the last one repeats). */
export function scripted(clock: SimulatedClock, steps: Step[] | ((n: number) => Step), latencyMs?: (n: number) => number): Script {
  const calls: number[] = [];
  const actor = fromPromise<RunProbeOutput, RunProbeInput>(async () => {
    const n = calls.length;
    calls.push(clock.now() - T0);
    const lat = latencyMs?.(n) ?? 0;
    if (lat > 0) await new Promise<void>((r) => clock.setTimeout(() => r(), lat));
    else await Promise.resolve();
    const step = typeof steps === 'function' ? steps(n) : steps[Math.min(n, steps.length - 1)]!;
    if (step === 'error') throw Object.assign(new Error(`boom ${n}`), { at: clock.now() });
    return { result: step, output: `out ${n}`, at: clock.now() };
  });
  return { calls, actor };
}

interface ParentContext {
  input: ProbeInput;
  sent: Array<ProbeToParentEvent & { t: number }>;
  done: boolean;
}

/** A parent that invokes the probe machine as 'probe', logs its events, and forwards UNGATE/RESUME. */
export function parentFor(script: Script, clock: SimulatedClock) {
  const child = probeMachine.provide({ actors: { runProbe: script.actor } });
  return setup({
    types: {
      context: {} as ParentContext,
      input: {} as ProbeInput,
      events: {} as ProbeToParentEvent | { type: 'UNGATE'; at?: number } | { type: 'RESUME'; at: number },
    },
    actors: { probe: child },
  }).createMachine({
    id: 'parent',
    context: ({ input }) => ({ input, sent: [], done: false }),
    invoke: {
      id: 'probe',
      src: 'probe',
      input: ({ context }) => context.input,
      onDone: { actions: assign({ done: true }) },
    },
    on: {
      'PROBE.RESULT': { actions: assign({ sent: ({ context, event }) => [...context.sent, { ...event, t: clock.now() - T0 }] }) },
      'PROBE.RECORD': { actions: assign({ sent: ({ context, event }) => [...context.sent, { ...event, t: clock.now() - T0 }] }) },
      UNGATE: { actions: sendTo('probe', ({ event }) => event) },
      RESUME: { actions: sendTo('probe', ({ event }) => event) },
    },
  });
}

export interface Run {
  clock: SimulatedClock;
  script: Script;
  actor: Actor<ReturnType<typeof parentFor>>;
  /** Advance simulated time to T0 + ms in 100 ms steps, letting promises settle between steps. */
  advanceTo(ms: number): Promise<void>;
  results(): Array<{ t: number; result: string }>;
  records(): Array<{ t: number; reason: string; message: string }>;
  childState(): string;
  childContext(): Record<string, unknown>;
}

export const flush = () => new Promise<void>((r) => setImmediate(r));

export async function start(
  inp: ProbeInput,
  steps: Step[] | ((n: number) => Step),
  opts: { clock?: SimulatedClock; snapshot?: Snapshot<unknown>; latencyMs?: (n: number) => number } = {},
): Promise<Run> {
  const clock = opts.clock ?? new SimulatedClock();
  if (!opts.clock) clock.set(inp.now);
  const script = scripted(clock, steps, opts.latencyMs);
  const machine = parentFor(script, clock);
  const actor = createActor(machine, { input: inp, clock, snapshot: opts.snapshot as never });
  actor.start();
  await flush();
  const run: Run = {
    clock,
    script,
    actor,
    async advanceTo(ms) {
      while (clock.now() - T0 < ms) {
        // Step to the next timer deadline (or 100 ms), so timers fire exactly when due.
        const cur = clock.now() - T0;
        let next = Math.min(ms, cur + 100);
        for (const t of (clock as unknown as { timeouts: Map<number, { start: number; timeout: number }> }).timeouts.values()) {
          const due = t.start + t.timeout - T0;
          if (due > cur && due < next) next = due;
        }
        clock.increment(next - cur);
        await flush();
      }
      // Zero-length waits (a deadline already past) fire on the next flush of the clock.
      clock.increment(0);
      await flush();
    },
    results: () =>
      actor.getSnapshot().context.sent.filter((e) => e.type === 'PROBE.RESULT').map((e) => ({ t: e.t, result: (e as { result: string }).result })),
    records: () =>
      actor
        .getSnapshot()
        .context.sent.filter((e) => e.type === 'PROBE.RECORD')
        .map((e) => ({ t: e.t, reason: (e as { event: { reason: string } }).event.reason, message: (e as { event: { message: string } }).event.message })),
    childState: () => {
      const child = actor.getSnapshot().children['probe'] as unknown as { getSnapshot(): { value: unknown } } | undefined;
      const v = child?.getSnapshot().value;
      return typeof v === 'string' ? v : JSON.stringify(v);
    },
    childContext: () => {
      const child = actor.getSnapshot().children['probe'] as unknown as { getSnapshot(): { context: Record<string, unknown> } } | undefined;
      return child?.getSnapshot().context ?? {};
    },
  };
  return run;
}
