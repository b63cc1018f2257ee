// The probe machine: one actor per (container instance, probe type), the
// kubelet's prober worker (pkg/kubelet/prober/worker.go doProbe) as a chart.
// It does no I/O: each attempt is the invoked actor `runProbe` (provided by
// src/actors/probe.ts), and results go to the parent (the container machine)
// with sendParent.
//
// Time: as in the container machine, the chart keeps `now` from event `at`
// fields and actor outputs, and keeps absolute deadlines (nextProbeAt) in
// context, so the waits are SimulatedClock-testable and survive a snapshot
// restore (send RESUME to re-arm them).
//
// Scheduling differs from the kubelet in one deliberate way: the kubelet's
// worker ticks from the moment the pod was added and skips ticks while
// `now - startedAt < initialDelaySeconds`, so the first probe lands anywhere
// in [initialDelay, initialDelay + period). This actor is created with the
// container instance, so it probes exactly at startedAt + initialDelay and
// then every periodSeconds on that grid.
import { assign, enqueueActions, fromPromise, setup } from 'xstate';
import type { Container, Pod, Probe, ProbeType } from '../src/k8s/types.js';
import * as msg from '../src/k8s/messages.js';
import { errorInfo, type EventRecord } from './types.js';

/** prober.go maxProbeRetries: a probe *error* is retried this many times within one tick. */
export const MAX_PROBE_RETRIES = 3;

export type { ProbeType };

/** What one mechanism run concluded (a thrown error is a probe error, not a failure). */
export type ProbeOutcome = 'success' | 'failure' | 'warning';
/** The thresholded result the worker publishes; unknown only before the first startup result. */
export type ProbeResultValue = 'success' | 'failure' | 'unknown';

export interface RunProbeInput {
  type: ProbeType;
  probe: Probe;
  pod: Pod;
  container: Container;
  containerId: string;
  podIP: string;
}
export interface RunProbeOutput {
  result: ProbeOutcome;
  output: string;
  /** When the attempt finished (epoch ms). */
  at: number;
}

export interface ProbeInput {
  type: ProbeType;
  /** With API defaults applied (loadPod / applyDefaults); undefined = no such probe: the actor finishes at once. */
  probe?: Probe;
  pod: Pod;
  container: Container;
  containerId: string;
  podIP: string;
  /** Container start (epoch ms): initialDelaySeconds counts from here. */
  startedAt: number;
  now: number;
  /** Liveness/readiness of a container with a startupProbe wait for UNGATE (the startup probe passed). */
  gated: boolean;
}

export type ProbeEvent =
  /** The startup probe passed: liveness/readiness may run. `at` keeps the chart's time right; pass it. */
  | { type: 'UNGATE'; at?: number }
  /** After a snapshot restore: re-arm the pending wait from its absolute deadline. */
  | { type: 'RESUME'; at: number };

/** Sent to the parent. */
export type ProbeToParentEvent =
  | { type: 'PROBE.RESULT'; probe: ProbeType; result: 'success' | 'failure'; output?: string; at: number }
  | { type: 'PROBE.RECORD'; probe: ProbeType; event: Pick<EventRecord, 'type' | 'reason' | 'message'> };

export interface ProbeContext {
  type: ProbeType;
  probe?: Probe;
  pod: Pod;
  container: Container;
  containerId: string;
  podIP: string;
  startedAt: number;
  gated: boolean;
  /** Last time the chart heard of (epoch ms). */
  now: number;
  /** The published (thresholded) result. */
  result: ProbeResultValue;
  /** The last counted attempt result and how many times in a row it came (worker lastResult/resultRun). */
  lastResult?: 'success' | 'failure';
  resultRun: number;
  /** The attempt being evaluated (between runProbe's done and the threshold decision). */
  pending?: { result: 'success' | 'failure'; output: string; at: number };
  lastOutput?: string;
  lastError?: string;
  /** Attempt number within the current tick (1..MAX_PROBE_RETRIES). */
  attempt: number;
  /** When the current tick was due; the next one is a period later. */
  tickAt: number;
  /** Absolute deadline of the next tick (Waiting). */
  nextProbeAt: number;
  /** Counted attempts so far (for inspection and tests). */
  probes: number;
}

/** Initial results (worker.go newWorker): readiness Failure, liveness Success, startup Unknown. */
export function initialProbeResult(type: ProbeType): ProbeResultValue {
  return type === 'readiness' ? 'failure' : type === 'liveness' ? 'success' : 'unknown';
}

const notProvided = (name: string) =>
  fromPromise<never, unknown>(async () => {
    throw new Error(`statelet: actor "${name}" is not provided; create the machine with createProbeActor() or .provide({ actors })`);
  });

const periodMs = (c: ProbeContext): number => (c.probe?.periodSeconds ?? 10) * 1000;
const firstProbeAt = (c: ProbeContext): number => c.startedAt + (c.probe?.initialDelaySeconds ?? 0) * 1000;

/** Output/error timestamps from the attempt, when present. */
function doneAt(event: unknown, fallback: number): number {
  const e = event as { output?: { at?: number }; error?: { at?: number } };
  const t = e.output?.at ?? e.error?.at;
  return typeof t === 'number' && t > fallback ? t : fallback;
}

function record(c: ProbeContext, type: EventRecord['type'], reason: string, message: string): ProbeToParentEvent {
  return { type: 'PROBE.RECORD', probe: c.type, event: { type, reason, message } };
}

export const probeMachine = setup({
  types: {
    context: {} as ProbeContext,
    events: {} as ProbeEvent,
    input: {} as ProbeInput,
  },
  actors: {
    runProbe: notProvided('runProbe') as unknown as ReturnType<typeof fromPromise<RunProbeOutput, RunProbeInput>>,
  },
  delays: {
    /** Until startedAt + initialDelaySeconds (worker: skip while now - StartedAt < initialDelaySeconds). */
    initialDelay: ({ context }) => Math.max(0, firstProbeAt(context) - context.now),
    /** Until the next tick (periodSeconds after the previous one), from the absolute deadline. */
    period: ({ context }) => Math.max(0, context.nextProbeAt - context.now),
  },
  guards: {
    hasNoProbe: ({ context }) => !context.probe,
    isGated: ({ context }) => context.gated && context.type !== 'startup',
    initialDelayPending: ({ context }) => context.now < firstProbeAt(context),
    isReadiness: ({ context }) => context.type === 'readiness',
    /** prober.runProbeWithRetries: errors are retried up to maxProbeRetries attempts in one tick. */
    canRetry: ({ context }) => context.attempt < MAX_PROBE_RETRIES,
    /** Success or failure below its threshold leaves the published result unchanged. */
    belowThreshold: ({ context }) => {
      const p = context.pending!;
      const threshold = p.result === 'failure' ? (context.probe?.failureThreshold ?? 3) : (context.probe?.successThreshold ?? 1);
      return context.resultRun < threshold;
    },
    /** Startup reached a final success: stop probing (the container is started). */
    startupSucceeded: ({ context }) => context.type === 'startup' && context.pending?.result === 'success',
    /** Liveness failure or startup failure at threshold: on hold until a new container (a new actor). */
    holdsAfterResult: ({ context }) =>
      (context.type === 'liveness' && context.pending?.result === 'failure') || context.type === 'startup',
  },
  actions: {
    observe: assign({
      now: ({ context, event }) => {
        const at = (event as { at?: unknown }).at;
        return typeof at === 'number' && at > context.now ? at : context.now;
      },
    }),
    observeDone: assign({ now: ({ context, event }) => doneAt(event, context.now) }),
    beginTick: assign({ tickAt: ({ context }) => context.now, attempt: 1 }),
    nextAttempt: assign({ attempt: ({ context }) => context.attempt + 1 }),
    /** The next tick a period after this one; a probe that overran its period is followed at once (Go ticker). */
    scheduleNext: assign({ nextProbeAt: ({ context }) => Math.max(context.now, context.tickAt + periodMs(context)) }),
    /** After UNGATE, liveness keeps its tick grid (anchored at the first probe time). */
    scheduleOnGrid: assign({
      nextProbeAt: ({ context }) => {
        const anchor = firstProbeAt(context);
        if (context.now <= anchor) return anchor;
        const p = periodMs(context);
        return anchor + Math.ceil((context.now - anchor) / p) * p;
      },
    }),
    /** Counts an attempt (worker lastResult/resultRun) and records its event. Warning counts as success. */
    countAttempt: enqueueActions(({ context, event, enqueue }) => {
      const out = (event as unknown as { output: RunProbeOutput }).output;
      const result: 'success' | 'failure' = out.result === 'failure' ? 'failure' : 'success';
      const resultRun = context.lastResult === result ? context.resultRun + 1 : 1;
      enqueue.assign({
        pending: { result, output: out.output, at: context.now },
        lastResult: result,
        resultRun,
        lastOutput: out.output,
        lastError: undefined,
        probes: context.probes + 1,
      });
      if (out.result === 'failure') {
        enqueue.sendParent(record(context, 'Warning', msg.EventReason.Unhealthy, msg.probeFailedMessage(context.type, out.output)));
      } else if (out.result === 'warning') {
        enqueue.sendParent(record(context, 'Warning', msg.EventReason.ProbeWarning, msg.probeWarningMessage(context.type, out.output)));
      }
    }),
    /** All retries errored: `errored and resulted in unknown state`, and the result is thrown away. */
    recordErrored: enqueueActions(({ context, event, enqueue }) => {
      const err = errorInfo((event as { error?: unknown }).error);
      const text = err.details ?? err.message;
      enqueue.assign({ lastError: text });
      enqueue.sendParent(record(context, 'Warning', msg.EventReason.Unhealthy, msg.probeErroredMessage(context.type, 'unknown', text)));
    }),
    /** resultsManager.Set: the parent hears only of changes. */
    publish: enqueueActions(({ context, enqueue }) => {
      const p = context.pending!;
      enqueue.assign({ pending: undefined });
      if (p.result === context.result) return;
      enqueue.assign({ result: p.result });
      enqueue.sendParent({ type: 'PROBE.RESULT', probe: context.type, result: p.result, output: p.output, at: p.at } satisfies ProbeToParentEvent);
    }),
    dropPending: assign({ pending: undefined }),
  },
}).createMachine({
  id: 'probe',
  context: ({ input }) => ({
    type: input.type,
    probe: input.probe,
    pod: input.pod,
    container: input.container,
    containerId: input.containerId,
    podIP: input.podIP,
    startedAt: input.startedAt,
    gated: input.gated,
    now: input.now,
    result: initialProbeResult(input.type),
    resultRun: 0,
    attempt: 0,
    tickAt: input.now,
    nextProbeAt: input.now,
    probes: 0,
  }),
  initial: 'Init',
  on: {
    RESUME: { actions: 'observe' },
    UNGATE: { actions: 'observe' },
  },
  states: {
    Init: {
      always: [
        { guard: 'hasNoProbe', target: 'Disabled' },
        { guard: 'isGated', target: 'Gated' },
        { guard: 'initialDelayPending', target: 'Delaying' },
        { target: 'Probing' },
      ],
    },

    /** The container has no probe of this type. */
    Disabled: { type: 'final' },

    /** Liveness/readiness wait until the startup probe passes (worker: "disable other probes until started"). */
    Gated: {
      on: {
        UNGATE: [
          { guard: 'initialDelayPending', target: 'Delaying', actions: 'observe' },
          // prober_manager.UpdatePodStatus triggers a not-yet-ready readiness worker at once.
          { guard: 'isReadiness', target: 'Probing', actions: 'observe' },
          { target: 'Waiting', actions: ['observe', 'scheduleOnGrid'] },
        ],
      },
    },

    /** initialDelaySeconds since the container started. */
    Delaying: {
      after: {
        initialDelay: {
          target: 'Probing',
          actions: assign({ now: ({ context }) => Math.max(context.now, firstProbeAt(context)) }),
        },
      },
      on: { RESUME: { target: 'Delaying', reenter: true, actions: 'observe' } },
    },

    /** Between ticks. */
    Waiting: {
      after: {
        period: {
          target: 'Probing',
          actions: assign({ now: ({ context }) => Math.max(context.now, context.nextProbeAt) }),
        },
      },
      on: { RESUME: { target: 'Waiting', reenter: true, actions: 'observe' } },
    },

    /** One tick: up to MAX_PROBE_RETRIES attempts while the mechanism errors. */
    Probing: {
      entry: 'beginTick',
      initial: 'Attempt',
      states: {
        Attempt: {
          invoke: {
            id: 'runProbe',
            src: 'runProbe',
            input: ({ context }) => ({
              type: context.type,
              probe: context.probe!,
              pod: context.pod,
              container: context.container,
              containerId: context.containerId,
              podIP: context.podIP,
            }),
            onDone: { target: '#probe.Evaluating', actions: ['observeDone', 'countAttempt'] },
            onError: [
              { guard: 'canRetry', target: 'Attempt', reenter: true, actions: ['observeDone', 'nextAttempt'] },
              { target: '#probe.Waiting', actions: ['observeDone', 'recordErrored', 'scheduleNext'] },
            ],
          },
        },
      },
    },

    /** worker.go: compare the run against the thresholds; publish changes; hold after final results. */
    Evaluating: {
      always: [
        { guard: 'belowThreshold', target: 'Waiting', actions: ['dropPending', 'scheduleNext'] },
        { guard: 'startupSucceeded', target: 'Succeeded', actions: 'publish' },
        { guard: 'holdsAfterResult', target: 'OnHold', actions: 'publish' },
        { target: 'Waiting', actions: ['publish', 'scheduleNext'] },
      ],
    },

    /** Liveness failed or startup failed: no more probing for this container instance. */
    OnHold: { type: 'final' },

    /** The startup probe passed: it never runs again for this instance. */
    Succeeded: { type: 'final' },
  },
});

export type ProbeMachine = typeof probeMachine;
