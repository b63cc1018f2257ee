// The KubeletConfiguration knobs statelet takes as flags, resolved against the
// feature gates the way the kubelet resolves them at start-up.
//
// Crash-loop back-off (KEP-4603 ReduceDefaultCrashLoopBackOffDecay, KEP-5593
// KubeletCrashLoopBackOffMax, beta and on since 1.35): pkg/kubelet/kubelet.go
// picks the curve: 10 s doubling to 300 s by default, 1 s doubling to 60 s with
// ReduceDefaultCrashLoopBackOffDecay; then crashLoopBackOff.maxContainerRestartPeriod,
// when set, is the maximum whatever the curve ("operator-invoked configuration always
// has precedence"), and an initial delay above it drops to it. The 600 s reset stays
// (flowcontrol.Backoff with the flat crash-loop expiry since 1.32).
import { CRASHLOOP_BACKOFF, REDUCED_CRASHLOOP_BACKOFF, type BackOffPolicy } from '../machines/backoff.js';
import { DEFAULT_FEATURE_GATES, type FeatureGates } from '../machines/features.js';

/** pkg/kubelet/apis/config/validation: maxContainerRestartPeriod must lie in [1 s, 300 s]. */
export const MIN_CONTAINER_RESTART_PERIOD_MS = 1_000;
export const MAX_CONTAINER_RESTART_PERIOD_MS = 300_000;

export interface CrashLoopKnobs {
  /** statelet's --backoff-initial (the kubelet has no such knob; kept for tests and demos). */
  initialMs?: number;
  /** --backoff-max: the kubelet's crashLoopBackOff.maxContainerRestartPeriod. */
  maxMs?: number;
}

type CrashLoopGates = Pick<FeatureGates, 'ReduceDefaultCrashLoopBackOffDecay' | 'KubeletCrashLoopBackOffMax'>;

/**
 * The kubelet's configuration check of maxContainerRestartPeriod, as its message: undefined
 * when fine. Set without KubeletCrashLoopBackOffMax, or outside [1 s, 300 s], is an error.
 */
export function maxContainerRestartPeriodError(maxMs: number | undefined, gates: CrashLoopGates = DEFAULT_FEATURE_GATES): string | undefined {
  if (maxMs === undefined) return undefined;
  if (!gates.KubeletCrashLoopBackOffMax) {
    return 'invalid configuration: FeatureGate KubeletCrashLoopBackOffMax not enabled, CrashLoopBackOff.MaxContainerRestartPeriod must not be set';
  }
  if (!(maxMs >= MIN_CONTAINER_RESTART_PERIOD_MS && maxMs <= MAX_CONTAINER_RESTART_PERIOD_MS)) {
    return `invalid configuration: CrashLoopBackOff.MaxContainerRestartPeriod (got: ${maxMs / 1000} seconds) must be set between 1s and 300s`;
  }
  return undefined;
}

/**
 * The crash-loop policy for these knobs and gates: the default or reduced curve, the
 * node's maximum over it (when KubeletCrashLoopBackOffMax is on), an explicit initial
 * delay over the curve's, and initial := max when the maximum is the smaller.
 * A maximum the gate does not allow is ignored here (the CLI refuses it first).
 */
export function crashLoopBackOffPolicy(knobs: CrashLoopKnobs = {}, gates: CrashLoopGates = DEFAULT_FEATURE_GATES): BackOffPolicy {
  const curve = gates.ReduceDefaultCrashLoopBackOffDecay ? REDUCED_CRASHLOOP_BACKOFF : CRASHLOOP_BACKOFF;
  const maxMs = knobs.maxMs !== undefined && gates.KubeletCrashLoopBackOffMax ? knobs.maxMs : curve.maxMs;
  const initialMs = Math.min(knobs.initialMs ?? curve.initialMs, maxMs);
  return { initialMs, maxMs, resetAfterMs: curve.resetAfterMs };
}

/** Whether the chart's built-in CRASHLOOP_BACKOFF would differ from crashLoopBackOffPolicy (so a policy must be passed). */
export function needsCrashLoopPolicy(knobs: CrashLoopKnobs | undefined, gates: CrashLoopGates = DEFAULT_FEATURE_GATES): boolean {
  return knobs?.initialMs !== undefined || knobs?.maxMs !== undefined || gates.ReduceDefaultCrashLoopBackOffDecay;
}
