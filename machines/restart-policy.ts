// Restart decisions of computePodActions (semantics §7), pure.
import type { Container, Pod, RestartPolicy } from '../src/k8s/types.js';

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

export interface RestartInput {
  role: ContainerRole;
  restartPolicy: RestartPolicy;
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
      return restartPolicy !== 'Never';
    case 'regular':
      if (status.state === 'unknown' || status.state === 'created') return true;
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
export function restartAfterKill(role: ContainerRole, restartPolicy: RestartPolicy): boolean {
  if (role === 'sidecar') return true;
  if (role === 'ephemeral') return false;
  return restartPolicy !== 'Never';
}

/** A failed regular init container under restartPolicy Never fails the pod (KillPod). */
export function initFailureFailsPod(status: RuntimeContainerStatus, restartPolicy: RestartPolicy): boolean {
  return isInitContainerFailed(status) && restartPolicy === 'Never';
}
