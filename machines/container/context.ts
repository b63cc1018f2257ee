// Pure helpers over the container chart's context: the rules the chart applies in
// more than one state, each written once.
import type { Container, Probe } from '../../src/k8s/types.js';
import { killGracePeriodSeconds, type KillCause } from '../grace.js';
import type { ProbeInput } from '../probe.js';
import { podRestartPolicy, restartAllContainersOnExit, shouldRestart } from '../restart-policy.js';
import type { EventRecord, InstanceStatus } from '../types.js';
import type { ActiveKill, ContainerContext, ContainerToPodEvent, KillRequest } from './types.js';

export function eventAt(event: { at?: number } | undefined, fallback: number): number {
  return typeof event?.at === 'number' ? event.at : fallback;
}

/** Output/error timestamps from actors, when present. */
export function doneAt(event: unknown, fallback: number): number {
  const e = event as { output?: { at?: number; finishedAt?: number; startedAt?: number }; error?: { at?: number } };
  return e.output?.finishedAt ?? e.output?.at ?? e.output?.startedAt ?? e.error?.at ?? fallback;
}

/** The instance ended: it becomes state.terminated, and the one before it lastState. */
export function terminatedWith(context: ContainerContext, status: InstanceStatus) {
  return {
    lastTermination: { ...status, state: 'exited' as const },
    previousTermination: context.lastTermination && context.lastTermination.id !== status.id ? context.lastTermination : context.previousTermination,
    instance: undefined,
  };
}

/** One prober worker per (instance, probe type); all three are invoked, absent probes finish at once. */
export function probeInput(context: ContainerContext, type: 'liveness' | 'readiness' | 'startup'): ProbeInput {
  const c = context.container;
  return {
    type,
    probe: type === 'liveness' ? c.livenessProbe : type === 'readiness' ? c.readinessProbe : c.startupProbe,
    pod: context.pod,
    container: c,
    containerId: context.instance?.id ?? '',
    podIP: context.sandbox?.ip ?? '',
    startedAt: context.instance?.startedAt ?? context.now,
    now: context.now,
    // The startup probe gates liveness and readiness (prober: they run only once started).
    gated: type !== 'startup' && !!c.startupProbe && !context.started,
  };
}

export function factsFor(context: ContainerContext, down: boolean, exited: boolean): ContainerToPodEvent {
  const last = context.lastTermination;
  return {
    type: 'CONTAINER.FACTS',
    name: context.container.name,
    facts: {
      down,
      exited,
      started: !down && context.started && context.instance?.state === 'running',
      ranBefore: context.lastAttempt !== undefined || !!last,
      lastExit: last ? { exitCode: last.exitCode ?? 0, reason: last.reason } : undefined,
    },
  };
}

export function eventFor(context: ContainerContext, ev: EventRecord): ContainerToPodEvent {
  return { type: 'CONTAINER.EVENT', name: context.container.name, event: { ...ev, fieldPath: context.fieldPath } };
}

export function probeFor(c: Container, cause: KillCause): Probe | undefined {
  return cause === 'LivenessProbe' ? c.livenessProbe : cause === 'StartupProbe' ? c.startupProbe : undefined;
}

/**
 * The FinishedAt doBackOff judges the next start by: the newest exited instance of the
 * sync's snapshot. For a kill-and-restart that is the instance before the killed one.
 */
export function backOffBasis(context: ContainerContext): number | undefined {
  if (context.kill?.then === 'restart') return context.kill.priorExitFinishedAt;
  return context.lastTermination ? context.lastTermination.finishedAt ?? context.now : undefined;
}

/**
 * startContainer: restartCount = the newest instance's restartCount + 1 (0 for the first).
 * Idempotent: a restart decision followed by a sandbox re-creation does not skip a number.
 */
export function nextAttempt(context: ContainerContext): number {
  return context.lastAttempt === undefined ? context.restartCount : context.lastAttempt + 1;
}

/** The one place a kill request becomes an active kill (grace per killContainer step 2–4). */
export function startKill(context: ContainerContext, request: KillRequest, extra: Partial<ActiveKill> = {}): ActiveKill {
  return {
    ...request,
    graceSeconds: killGracePeriodSeconds({
      pod: context.pod,
      container: context.container,
      reason: request.cause,
      probe: probeFor(context.container, request.cause),
      override: request.gracePeriodOverride,
    }),
    startedAt: context.now,
    preStopElapsedMs: 0,
    priorExitFinishedAt: context.lastTermination ? context.lastTermination.finishedAt ?? context.now : undefined,
    ...extra,
  };
}

/**
 * ShouldContainerBeRestarted for the newest exited instance (pkg/kubelet/container/helpers.go),
 * with the container's own restartPolicy and rules when ContainerRestartRules is on.
 */
export function shouldRestartNewestExit(context: ContainerContext): boolean {
  const last = context.lastTermination;
  return shouldRestart({
    role: context.role,
    restartPolicy: podRestartPolicy(context.pod),
    container: context.container,
    gates: context.config.featureGates,
    deleting: context.deleting,
    status: last ? { state: 'exited', exitCode: last.exitCode, reason: last.reason } : undefined,
  });
}

/** The newest exit matched a RestartAllContainers rule (KEP-5532), and no deletion is under way. */
export function triggersRestartAll(context: ContainerContext): boolean {
  const last = context.lastTermination;
  if (!last || context.deleting || context.kill?.then === 'exit' || context.role === 'ephemeral') return false;
  return restartAllContainersOnExit(context.container, last.exitCode ?? 0, context.config.featureGates);
}
