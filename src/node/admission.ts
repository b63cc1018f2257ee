// Pod admission (pkg/kubelet/lifecycle/predicate.go): the kubelet admits a pod only if
// the node has room for it. statelet checks the one resource it models, the pod count
// (--max-pods, the node's allocatable "pods"); a rejected pod goes straight to phase
// Failed with the predicate's reason and message, and a Warning event of that reason
// (kubelet.rejectPod), and is never run.
import { getPodQOS } from '../kuberuntime/qos.js';
import type { Pod, PodStatus } from '../k8s/types.js';

/** The kubelet's default maxPods. */
export const DEFAULT_MAX_PODS = 110;

export interface AdmitResult {
  admit: boolean;
  reason?: string;
  message?: string;
}

/**
 * InsufficientResourceError for pods: reason `OutOfpods` ("OutOf" + the resource name),
 * message `Node didn't have enough resource: pods, requested: 1, used: <n>, capacity: <max>`.
 */
export function admitPodCount(used: number, maxPods: number): AdmitResult {
  if (used + 1 <= maxPods) return { admit: true };
  return {
    admit: false,
    reason: 'OutOfpods',
    message: `Node didn't have enough resource: pods, requested: 1, used: ${used}, capacity: ${maxPods}`,
  };
}

/**
 * The status of a rejected pod (kubelet rejectPod): Failed, the predicate's reason, and
 * `Pod was rejected: <message>` (the Warning event carries the bare message). No
 * container ever ran, so there are no container statuses.
 */
export function rejectedStatus(pod: Pod, reason: string, message: string): PodStatus {
  return { qosClass: getPodQOS(pod), phase: 'Failed', reason, message: `Pod was rejected: ${message}` };
}
