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
import { assign, enqueueActions, setup } from 'xstate';
import { notProvided } from './not-provided.js';
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

/** The input, kept (`now` is the last time the chart heard of), plus the worker's counters. */
export interface ProbeContext extends ProbeInput {
  /** The published (thresholded) result. */
  result: ProbeResultValue;
  /** The last counted attempt result and how many times in a row it came (worker lastResult/resultRun). */
  lastResult?: 'success' | 'failure';
  resultRun: number;
  lastOutput?: string;
  lastError?: string;
  /** Attempt number within the current tick (1..MAX_PROBE_RETRIES). */
  attempt: number;
  /**
   * Absolute time of the next tick while Waiting/Delaying, and of the current tick
   * while Probing (so a tick needs no bookkeeping when it starts).
   */
  nextProbeAt: number;
  /** Counted attempts so far (for inspection and tests). */
  probes: number;
}

/** Initial results (worker.go newWorker): readiness Failure, liveness Success, startup Unknown. */
export function initialProbeResult(type: ProbeType): ProbeResultValue {
  return type === 'readiness' ? 'failure' : type === 'liveness' ? 'success' : 'unknown';
}


const periodMs = (c: ProbeContext): number => (c.probe?.periodSeconds ?? 10) * 1000;
const firstProbeAt = (c: ProbeContext): number => c.startedAt + (c.probe?.initialDelaySeconds ?? 0) * 1000;
/**
 * The tick after the current one (c.nextProbeAt): a period later. Ticks missed while a
 * probe overran its period, or while the process was down, are skipped and the grid is
 * kept, as Go's ticker drops ticks nobody received.
 */
function nextTick(c: ProbeContext, now: number): number {
  const p = periodMs(c);
  let next = c.nextProbeAt + p;
  if (next <= now) next += Math.ceil((now - next + 1) / p) * p;
  return next;
}

/** Output/error timestamps from the attempt, when present. */
function doneAt(event: unknown, fallback: number): number {
  const e = event as { output?: { at?: number }; error?: { at?: number } };
  const t = e.output?.at ?? e.error?.at;
  return typeof t === 'number' && t > fallback ? t : fallback;
}

/** worker.go counting: the attempt's result (warning counts as success) and its run length. */
function tally(c: ProbeContext, out: RunProbeOutput): { result: 'success' | 'failure'; resultRun: number; threshold: number } {
  const result: 'success' | 'failure' = out.result === 'failure' ? 'failure' : 'success';
  const resultRun = c.lastResult === result ? c.resultRun + 1 : 1;
  const threshold = result === 'failure' ? (c.probe?.failureThreshold ?? 3) : (c.probe?.successThreshold ?? 1);
  return { result, resultRun, threshold };
}

/** The counters after an attempt, and the next tick. */
function counted(c: ProbeContext, out: RunProbeOutput) {
  const now = Math.max(typeof out.at === 'number' ? out.at : 0, c.now, c.nextProbeAt);
  const { result, resultRun } = tally(c, out);
  return {
    now,
    attempt: 1,
    lastResult: result,
    resultRun,
    lastOutput: out.output,
    lastError: undefined,
    probes: c.probes + 1,
    nextProbeAt: nextTick(c, now),
  };
}

function record(c: ProbeContext, type: EventRecord['type'], reason: string, message: string): ProbeToParentEvent {
  return { type: 'PROBE.RECORD', probe: c.type, event: { type, reason, message } };
}

/** The attempt's outcome, handed to the guards and actions that count it. */
const resultOf = ({ event }: { event: { output: RunProbeOutput } }) => ({ output: event.output });

export const probeMachine = setup({
  types: {
    context: {} as ProbeContext,
    events: {} as ProbeEvent,
    input: {} as ProbeInput,
  },
  actors: {
    runProbe: notProvided<RunProbeOutput, RunProbeInput>('runProbe'),
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
    initialDelayPending: ({ context, event }) => Math.max(context.now, event.at ?? 0) < firstProbeAt(context),
    isReadiness: ({ context }) => context.type === 'readiness',
    /** prober.runProbeWithRetries: errors are retried up to maxProbeRetries attempts in one tick. */
    canRetry: ({ context }) => context.attempt < MAX_PROBE_RETRIES,
    /**
     * The common case, kept to one plain assign: a success (not a warning) that
     * publishes nothing: below successThreshold, or the result is already success.
     * Startup successes always settle (successThreshold is 1 for startup).
     */
    quietSuccess: ({ context }, { output: out }: { output: RunProbeOutput }) => {
      if (out.result !== 'success' || context.type === 'startup') return false;
      const t = tally(context, out);
      return t.resultRun < t.threshold || context.result === 'success';
    },
    /** Startup reached its threshold with success: stop probing (the container is started). */
    startupSucceeded: ({ context }, { output }: { output: RunProbeOutput }) => {
      if (context.type !== 'startup') return false;
      const t = tally(context, output);
      return t.result === 'success' && t.resultRun >= t.threshold;
    },
    /** Liveness failure or startup failure at threshold: on hold until a new container (a new actor). */
    reachesHold: ({ context }, { output }: { output: RunProbeOutput }) => {
      if (context.type === 'readiness') return false;
      const t = tally(context, output);
      return t.result === 'failure' && t.resultRun >= t.threshold;
    },
  },
  actions: {
    observe: assign({
      now: ({ context, event }) => Math.max(context.now, event.at ?? 0),
    }),
    /** The first tick is due at startedAt + initialDelaySeconds. */
    armFirstTick: assign({ nextProbeAt: ({ context }) => firstProbeAt(context) }),
    /** Probe now (UNGATE of a readiness probe). */
    tickNow: assign(({ context, event }) => {
      const now = Math.max(context.now, event.at ?? 0);
      return { now, nextProbeAt: now };
    }),
    /** Errored attempt, retried in the same tick. */
    nextAttempt: assign(({ context, event }) => ({ attempt: context.attempt + 1, now: doneAt(event, context.now) })),
    /** After UNGATE, liveness keeps its tick grid (anchored at the first probe time). */
    scheduleOnGrid: assign({
      nextProbeAt: ({ context }) => {
        const anchor = firstProbeAt(context);
        if (context.now <= anchor) return anchor;
        const p = periodMs(context);
        return anchor + Math.ceil((context.now - anchor) / p) * p;
      },
    }),
    /** A success that changes nothing: count it and schedule the next tick. */
    count: assign(({ context }, { output }: { output: RunProbeOutput }) => counted(context, output)),
    /**
     * Any other attempt: count it, record Unhealthy (failure) or ProbeWarning (warning),
     * and publish the result if it reached its threshold and differs (resultsManager.Set
     * only signals changes).
     */
    settle: enqueueActions(({ context, enqueue }, { output: out }: { output: RunProbeOutput }) => {
      const next = counted(context, out);
      const t = tally(context, out);
      const publish = t.resultRun >= t.threshold && t.result !== context.result;
      enqueue.assign(publish ? { ...next, result: t.result } : next);
      if (out.result === 'failure') {
        enqueue.sendParent(record(context, 'Warning', msg.EventReason.Unhealthy, msg.probeFailedMessage(context.type, out.output)));
      } else if (out.result === 'warning') {
        enqueue.sendParent(record(context, 'Warning', msg.EventReason.ProbeWarning, msg.probeWarningMessage(context.type, out.output)));
      }
      if (publish) {
        enqueue.sendParent({ type: 'PROBE.RESULT', probe: context.type, result: t.result, output: out.output, at: next.now } satisfies ProbeToParentEvent);
      }
    }),
    /** All retries errored: `errored and resulted in unknown state`, and the result is thrown away. */
    recordErrored: enqueueActions(({ context, event, enqueue }, params: { error: unknown }) => {
      const err = errorInfo(params.error);
      // prober.go prints the error with %s: a CRI error (ExecSync) as `rpc error: code = ... desc = ...`.
      const text = err.grpc ?? err.details ?? err.message;
      const now = doneAt(event, context.now);
      enqueue.assign({ lastError: text, now, attempt: 1, nextProbeAt: nextTick(context, now) });
      enqueue.sendParent(record(context, 'Warning', msg.EventReason.Unhealthy, msg.probeErroredMessage(context.type, 'unknown', text)));
    }),
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
    // The container cannot have started later than "now": a stale `now` from the
    // parent would otherwise turn into a bogus wait before the first probe.
    now: Math.max(input.now, input.startedAt),
    result: initialProbeResult(input.type),
    resultRun: 0,
    attempt: 1,
    nextProbeAt: Math.max(input.now, input.startedAt),
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
        { guard: 'initialDelayPending', target: 'Delaying', actions: 'armFirstTick' },
        { target: 'Probing' },
      ],
    },

    /** The container has no probe of this type. */
    Disabled: { type: 'final' },

    /** Liveness/readiness wait until the startup probe passes (worker: "disable other probes until started"). */
    Gated: {
      on: {
        UNGATE: [
          { guard: 'initialDelayPending', target: 'Delaying', actions: ['observe', 'armFirstTick'] },
          // prober_manager.UpdatePodStatus triggers a not-yet-ready readiness worker at once.
          { guard: 'isReadiness', target: 'Probing', actions: 'tickNow' },
          { target: 'Waiting', actions: ['observe', 'scheduleOnGrid'] },
        ],
      },
    },

    /** initialDelaySeconds since the container started. */
    Delaying: {
      after: { initialDelay: { target: 'Probing' } },
      on: { RESUME: { target: 'Delaying', reenter: true, actions: 'observe' } },
    },

    /** Between ticks. */
    Waiting: {
      after: { period: { target: 'Probing' } },
      on: { RESUME: { target: 'Waiting', reenter: true, actions: 'observe' } },
    },

    /**
     * One attempt of the tick; an error re-enters (up to MAX_PROBE_RETRIES attempts).
     * Counting follows worker.go: consecutive identical results, the published result
     * flips only at failureThreshold / successThreshold.
     */
    Probing: {
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
        onDone: [
          { guard: { type: 'quietSuccess', params: resultOf }, target: 'Waiting', actions: { type: 'count', params: resultOf } },
          { guard: { type: 'startupSucceeded', params: resultOf }, target: 'Succeeded', actions: { type: 'settle', params: resultOf } },
          { guard: { type: 'reachesHold', params: resultOf }, target: 'OnHold', actions: { type: 'settle', params: resultOf } },
          { target: 'Waiting', actions: { type: 'settle', params: resultOf } },
        ],
        onError: [
          { guard: 'canRetry', target: 'Probing', reenter: true, actions: 'nextAttempt' },
          { target: 'Waiting', actions: { type: 'recordErrored', params: ({ event }) => ({ error: event.error }) } },
        ],
      },
    },

    /** Liveness failed or startup failed: no more probing for this container instance. */
    OnHold: { type: 'final' },

    /** The startup probe passed: it never runs again for this instance. */
    Succeeded: { type: 'final' },
  },
});

export type ProbeMachine = typeof probeMachine;
