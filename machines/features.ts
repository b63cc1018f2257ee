// Kubelet feature gates statelet follows, with their kubelet 1.36 defaults
// (pkg/features/kube_features.go). The charts and rules read them from their
// config; `--feature-gates Name=true|false` switches them.

export interface FeatureGates {
  /** KEP-5307: per-container restartPolicy and restartPolicyRules (beta, on since 1.35). */
  ContainerRestartRules: boolean;
  /** KEP-5532: the RestartAllContainers rule action (alpha 1.35, beta and on in 1.36). */
  RestartAllContainersOnContainerExits: boolean;
  /** KEP-4960: lifecycle.stopSignal (alpha, off). */
  ContainerStopSignals: boolean;
  /** KEP-4603: the 1 s / 60 s crash-loop curve (alpha, off). */
  ReduceDefaultCrashLoopBackOffDecay: boolean;
  /** KEP-5593: crashLoopBackOff.maxContainerRestartPeriod (beta, on since 1.35). */
  KubeletCrashLoopBackOffMax: boolean;
  /** KEP-1287: in-place pod resize (GA 1.35). */
  InPlacePodVerticalScaling: boolean;
}

export const DEFAULT_FEATURE_GATES: Readonly<FeatureGates> = Object.freeze({
  ContainerRestartRules: true,
  RestartAllContainersOnContainerExits: true,
  ContainerStopSignals: false,
  ReduceDefaultCrashLoopBackOffDecay: false,
  KubeletCrashLoopBackOffMax: true,
  InPlacePodVerticalScaling: true,
});

export type FeatureGateName = keyof FeatureGates;

export function isFeatureGateName(name: string): name is FeatureGateName {
  return Object.prototype.hasOwnProperty.call(DEFAULT_FEATURE_GATES, name);
}

/**
 * Parses `Name=true,Other=false` as the kubelet's --feature-gates does; an unknown gate or a
 * value other than true/false is an error naming it.
 */
export function parseFeatureGates(text: string, base: Readonly<FeatureGates> = DEFAULT_FEATURE_GATES): FeatureGates {
  const out: FeatureGates = { ...base };
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq).trim();
    const value = eq < 0 ? '' : part.slice(eq + 1).trim();
    if (!isFeatureGateName(name)) throw new Error(`unrecognized feature gate: ${name}`);
    if (value !== 'true' && value !== 'false') throw new Error(`invalid value of ${name}: ${value}, err: strconv.ParseBool: parsing "${value}": invalid syntax`);
    out[name] = value === 'true';
  }
  return out;
}
