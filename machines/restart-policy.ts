// Restart decisions of computePodActions (semantics §7), pure. With the
// ContainerRestartRules gate (KEP-5307, beta and on since 1.35) a regular container's own
// restartPolicy and restartPolicyRules decide first (pkg/api/v1/pod/util.go
// ContainerShouldRestart, pkg/kubelet/container/helpers.go ShouldContainerBeRestarted).
import type { Container, ContainerRestartRule, Pod, RestartPolicy } from '../src/k8s/types.js';
import { DEFAULT_FEATURE_GATES, type FeatureGates } from './features.js';

/** CRI container state as the kubelet sees it (kubecontainer.State). */
export type RuntimeState = 'created' | 'running' | 'exited' | 'unknown';

/** The newest runtime instance of a container (kubecontainer.Status subset). */
export interface RuntimeContainerStatus {
  state: RuntimeState;
  exitCode?: number;
  /** Runtime reason, e.g. 'OOMKilled', 'Completed', 'Error'. */
  reason?: string;
}

/** Where a container sits in the pod spec, and whether it is a sidecar. */
export type ContainerRole = 'regular' | 'init' | 'sidecar' | 'ephemeral';

/** An init container with restartPolicy Always is a sidecar (restartable init container). */
export function isSidecar(c: Pick<Container, 'restartPolicy'>): boolean {
  return c.restartPolicy === 'Always';
}

/** Finds the role of a container by name; undefined when the pod has no such container. */
export function containerRole(pod: Pick<Pod, 'spec'>, name: string): ContainerRole | undefined {
  if (pod.spec.containers.some((c) => c.name === name)) return 'regular';
  const init = pod.spec.initContainers?.find((c) => c.name === name);
  if (init) return isSidecar(init) ? 'sidecar' : 'init';
  if (pod.spec.ephemeralContainers?.some((c) => c.name === name)) return 'ephemeral';
  return undefined;
}

export function podRestartPolicy(pod: Pick<Pod, 'spec'>): RestartPolicy {
  return pod.spec.restartPolicy ?? 'Always';
}

export function isPodDeleting(pod: Pick<Pod, 'metadata'>): boolean {
  return !!pod.metadata.deletionTimestamp;
}

/**
 * kubelet isInitContainerFailed: exited non-zero, UNKNOWN, or OOMKilled
 * (an OOM-killed init container is a failure even with exit code 0).
 */
export function isInitContainerFailed(status: RuntimeContainerStatus): boolean {
  if (status.reason === 'OOMKilled') return true;
  if (status.state === 'exited' && (status.exitCode ?? 0) !== 0) return true;
  if (status.state === 'unknown') return true;
  return false;
}

/** What a container's own policy fields say (KEP-5307); absent for 1.34 behaviour. */
export type ContainerPolicyFields = Pick<Container, 'restartPolicy' | 'restartPolicyRules'>;

/**
 * findMatchingContainerRestartRule (pkg/api/v1/pod/util.go): the first rule whose exit-code
 * condition holds (In: the code is listed; NotIn: it is not).
 */
export function matchingRestartRule(container: ContainerPolicyFields, exitCode: number): ContainerRestartRule | undefined {
  for (const rule of container.restartPolicyRules ?? []) {
    if (!rule.exitCodes) continue;
    const listed = (rule.exitCodes.values ?? []).includes(exitCode);
    if (rule.exitCodes.operator === 'In' && listed) return rule;
    if (rule.exitCodes.operator === 'NotIn' && !listed) return rule;
  }
  return undefined;
}

/**
 * ContainerShouldRestart (pkg/api/v1/pod/util.go): with a container-level restartPolicy, a
 * matching rule with action Restart restarts; otherwise the container's policy decides.
 * Without one, the pod's policy decides. (RestartAllContainers is the pod's business:
 * see restartAllContainersOnExit.)
 */
export function containerShouldRestart(container: ContainerPolicyFields, podPolicy: RestartPolicy, exitCode: number): boolean {
  const policy = container.restartPolicy ?? podPolicy;
  if (container.restartPolicy !== undefined && matchingRestartRule(container, exitCode)?.action === 'Restart') return true;
  if (policy === 'Never') return false;
  if (policy === 'OnFailure') return exitCode !== 0;
  return true;
}

/**
 * ShouldAllContainersRestart (KEP-5532): a regular or init container exited with a code
 * matching a RestartAllContainers rule.
 */
export function restartAllContainersOnExit(container: ContainerPolicyFields, exitCode: number, gates: Pick<FeatureGates, 'ContainerRestartRules' | 'RestartAllContainersOnContainerExits'> = DEFAULT_FEATURE_GATES): boolean {
  if (!gates.ContainerRestartRules || !gates.RestartAllContainersOnContainerExits) return false;
  if (container.restartPolicy === undefined) return false;
  return matchingRestartRule(container, exitCode)?.action === 'RestartAllContainers';
}

export interface RestartInput {
  role: ContainerRole;
  restartPolicy: RestartPolicy;
  /** The container's own policy fields (KEP-5307), read when the gate is on. */
  container?: ContainerPolicyFields;
  gates?: Pick<FeatureGates, 'ContainerRestartRules'>;
  /** pod.metadata.deletionTimestamp is set. */
  deleting: boolean;
  /** Newest runtime instance; undefined when none exists (never started or all GC'd). */
  status?: RuntimeContainerStatus;
}

/**
 * Whether a non-running container should be (re)started now.
 *
 * Regular containers (kubelet ShouldContainerBeRestarted): deleting ⇒ no; no status ⇒ yes;
 * running ⇒ no; UNKNOWN/CREATED ⇒ yes even under Never; Never ⇒ no; OnFailure & exit 0 ⇒ no; else yes.
 * Sidecars: restart whenever not running, whatever the pod policy.
 * Regular init containers: exit 0 ⇒ no (the next one starts); failure ⇒ yes unless Never
 * (then the pod fails: KillPod). Ephemeral containers start once and are never restarted.
 */
export function shouldRestart(input: RestartInput): boolean {
  const { role, restartPolicy, deleting, status } = input;
  const rules = (input.gates ?? DEFAULT_FEATURE_GATES).ContainerRestartRules;
  if (deleting) return false;
  if (!status) return true;
  if (status.state === 'running') return false;
  switch (role) {
    case 'ephemeral':
      return false;
    case 'sidecar':
      return true;
    case 'init':
      if (status.state === 'created') return true;
      if (!isInitContainerFailed(status)) return false;
      return initRestartOnFailure(restartPolicy, input.container, input.gates);
    case 'regular':
      if (status.state === 'unknown' || status.state === 'created') return true;
      if (rules) return containerShouldRestart(input.container ?? {}, restartPolicy, status.exitCode ?? 0);
      if (restartPolicy === 'Never') return false;
      if (restartPolicy === 'OnFailure' && (status.exitCode ?? 0) === 0) return false;
      return true;
  }
}

/**
 * Convenience form over a Pod: role from the spec, deletion from metadata.deletionTimestamp
 * (or `opts.deleting`).
 */
export function shouldContainerBeRestarted(
  pod: Pick<Pod, 'metadata' | 'spec'>,
  container: Pick<Container, 'name'> | string,
  status: RuntimeContainerStatus | undefined,
  opts: { deleting?: boolean } = {},
): boolean {
  const name = typeof container === 'string' ? container : container.name;
  const role = containerRole(pod, name);
  if (!role) throw new Error(`container ${JSON.stringify(name)} is not in the pod spec`);
  return shouldRestart({
    role,
    restartPolicy: podRestartPolicy(pod),
    deleting: opts.deleting ?? isPodDeleting(pod),
    status,
  });
}

/**
 * After a kill for liveness/startup failure or a hash change, is a restart appended?
 * Regular: unless the pod policy is Never. Sidecars: always. (computePodActions)
 */
export function restartAfterKill(
  role: ContainerRole,
  restartPolicy: RestartPolicy,
  container?: ContainerPolicyFields,
  gates: Pick<FeatureGates, 'ContainerRestartRules'> = DEFAULT_FEATURE_GATES,
): boolean {
  if (role === 'sidecar') return true;
  if (role === 'ephemeral') return false;
  // computePodActions: the container is still running, so there is no exit code for the
  // rules; only a container-level restartPolicy overrides the pod's.
  if (gates.ContainerRestartRules && role === 'regular' && container?.restartPolicy !== undefined) return container.restartPolicy !== 'Never';
  return restartPolicy !== 'Never';
}

/**
 * computeInitContainerActions: is a failed regular init container restarted? The pod's
 * policy, or (ContainerRestartRules) the container's own one; its rules are not read.
 */
export function initRestartOnFailure(
  restartPolicy: RestartPolicy,
  container?: ContainerPolicyFields,
  gates: Pick<FeatureGates, 'ContainerRestartRules'> = DEFAULT_FEATURE_GATES,
): boolean {
  if (gates.ContainerRestartRules && container?.restartPolicy !== undefined && container.restartPolicy !== 'Always') return container.restartPolicy !== 'Never';
  return restartPolicy !== 'Never';
}

/** A failed regular init container that will not be restarted fails the pod (KillPod). */
export function initFailureFailsPod(
  status: RuntimeContainerStatus,
  restartPolicy: RestartPolicy,
  container?: ContainerPolicyFields,
  gates: Pick<FeatureGates, 'ContainerRestartRules'> = DEFAULT_FEATURE_GATES,
): boolean {
  return isInitContainerFailed(status) && !initRestartOnFailure(restartPolicy, container, gates);
}

/**
 * calcRestartCountByLogDir (kuberuntime_container.go): with no instance left in the runtime,
 * the next restart count is the highest `<n>.log` (rotated `<n>.log.*` included) + 1, else 0.
 */
export function restartCountFromLogFiles(fileNames: readonly string[]): number {
  let count = 0;
  for (const name of fileNames) {
    const m = /^(\d+)\.log(\..*)?$/.exec(name);
    if (m) count = Math.max(count, Number(m[1]) + 1);
  }
  return count;
}
