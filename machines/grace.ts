// Grace-period arithmetic of killContainer / killPod (semantics §5, §6). Pure.
import type { Container, Pod, Probe } from '../src/k8s/types.js';

/** minimumGracePeriodInSeconds: StopContainer's timeout is never below this. */
export const MIN_GRACE_PERIOD_SECONDS = 2;
/** The pod worker clamps an effective termination grace to at least this before killing. */
export const POD_WORKER_MIN_GRACE_SECONDS = 1;
/** API default for spec.terminationGracePeriodSeconds. */
export const DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS = 30;
/** Force delete (grace 0 → clamped to 1): the preStop hook gets at most 1 s ... */
export const FORCE_DELETE_PRESTOP_BUDGET_MS = 1_000;
/** ... and StopContainer is called with the minimum timeout. */
export const FORCE_DELETE_STOP_TIMEOUT_SECONDS = MIN_GRACE_PERIOD_SECONDS;

export type KillCause = 'LivenessProbe' | 'StartupProbe' | 'PostStartHook' | 'Deletion' | 'Other';

export interface KillGraceInput {
  pod: Pick<Pod, 'metadata' | 'spec'>;
  container?: Pick<Container, 'livenessProbe' | 'startupProbe'>;
  reason: KillCause;
  /** The probe whose failure caused the kill, when no container is given. */
  probe?: Pick<Probe, 'terminationGracePeriodSeconds'>;
  /** gracePeriodOverride (pod worker / deletion); replaces the computed value before preStop. */
  override?: number;
}

/**
 * Grace (seconds) that killContainer starts from, before preStop runs:
 * 1. metadata.deletionGracePeriodSeconds if set;
 * 2. for liveness/startup-caused kills, the probe's terminationGracePeriodSeconds if set
 *    (may exceed the pod's value; only consulted when the pod value is set, as in setTerminationGracePeriod);
 * 3. spec.terminationGracePeriodSeconds; 4. else 2.
 * Then an override, if any, replaces it (applied before the preStop deduction since #115835).
 * PostStartHook kills use the pod's value: probe-level grace is never used for them.
 */
export function killGracePeriodSeconds(input: KillGraceInput): number {
  const { pod, container, reason, probe, override } = input;
  let grace: number = MIN_GRACE_PERIOD_SECONDS;
  const deletion = pod.metadata.deletionGracePeriodSeconds;
  const podTgps = pod.spec.terminationGracePeriodSeconds;
  if (deletion !== undefined && deletion !== null) {
    grace = deletion;
  } else if (podTgps !== undefined && podTgps !== null) {
    grace = podTgps;
    let p: Pick<Probe, 'terminationGracePeriodSeconds'> | undefined;
    if (reason === 'LivenessProbe') p = container?.livenessProbe ?? probe;
    else if (reason === 'StartupProbe') p = container?.startupProbe ?? probe;
    const probeGrace = p?.terminationGracePeriodSeconds;
    if (probeGrace !== undefined && probeGrace !== null) grace = probeGrace;
  }
  if (override !== undefined && override !== null) grace = override;
  return grace;
}

/** preStop runs only if defined and grace > 0. */
export function shouldRunPreStop(container: Pick<Container, 'lifecycle'>, graceSeconds: number): boolean {
  return !!container.lifecycle?.preStop && graceSeconds > 0;
}

/** How long the kubelet waits for the preStop hook: min(hook duration, grace). */
export function preStopBudgetMs(graceSeconds: number): number {
  return Math.max(0, graceSeconds) * 1000;
}

/**
 * Timeout passed to StopContainer: grace minus the time spent in preStop (and in sidecar
 * ordering waits), each truncated to whole seconds, never below MIN_GRACE_PERIOD_SECONDS.
 */
export function stopTimeoutSeconds(graceSeconds: number, preStopElapsedMs: number, orderingWaitMs = 0): number {
  const remaining =
    graceSeconds - Math.floor(Math.max(0, preStopElapsedMs) / 1000) - Math.floor(Math.max(0, orderingWaitMs) / 1000);
  return Math.max(remaining, MIN_GRACE_PERIOD_SECONDS);
}

/**
 * Sidecar termination ordering (killContainer, kuberuntime_termination_order.go): after
 * preStop, a sidecar waits for its prerequisites only while grace is left, and at most that
 * long; the whole seconds waited are then deducted before the 2 s minimum applies.
 */
export function turnWaitBudgetSeconds(graceSeconds: number, preStopElapsedMs: number): number {
  return Math.max(0, graceSeconds - Math.floor(Math.max(0, preStopElapsedMs) / 1000));
}

/**
 * Effective grace for a pod termination (pod worker): the minimum of the pod's current
 * grace, the deletion grace and an override, clamped to >= 1 (an explicit 0 = force delete becomes 1).
 */
export function effectiveTerminationGraceSeconds(
  pod: Pick<Pod, 'metadata' | 'spec'>,
  override?: number,
): number {
  const candidates: number[] = [];
  const tgps = pod.spec.terminationGracePeriodSeconds;
  candidates.push(tgps ?? DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS);
  if (pod.metadata.deletionGracePeriodSeconds !== undefined) candidates.push(pod.metadata.deletionGracePeriodSeconds);
  if (override !== undefined) candidates.push(override);
  return Math.max(Math.min(...candidates), POD_WORKER_MIN_GRACE_SECONDS);
}

/** killPodNow's watchdog: grace * 1.5, at least 10 s (then ExceededGracePeriod). */
export function killPodTimeoutMs(graceSeconds: number): number {
  return Math.max(graceSeconds * 1500, 10_000);
}
