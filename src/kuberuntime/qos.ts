// QoS class (pkg/apis/core/v1/helper/qos ComputePodQOS) and the OOM score
// adjustment the kubelet asks for per container (pkg/kubelet/qos/policy.go,
// GetContainerOOMScoreAdjust), release-1.34, with pod-level resources
// (PodLevelResources, beta and on in 1.34) and the sidecar rule.
import type { Container, Pod, PodQOSClass, ResourceList } from '../k8s/types.js';
import { Quantity } from '../k8s/quantity.js';

const QOS_RESOURCES = ['cpu', 'memory'];
export const GUARANTEED_OOM_SCORE_ADJ = -997;
export const BESTEFFORT_OOM_SCORE_ADJ = 1000;

function quantity(list: ResourceList | undefined, name: string): Quantity | undefined {
  const v = list?.[name];
  if (v === undefined) return undefined;
  const q = Quantity.tryParse(v);
  return typeof q === 'string' ? undefined : q;
}

/** Is the pod-level `resources` stanza set (resourcehelper.IsPodLevelResourcesSet)? */
export function podLevelResourcesSet(pod: Pod): boolean {
  const r = pod.spec.resources;
  return !!r && (Object.keys(r.requests ?? {}).length > 0 || Object.keys(r.limits ?? {}).length > 0);
}

/** ComputePodQOS: Guaranteed, Burstable or BestEffort (what status.qosClass reports). */
export function getPodQOS(pod: Pod): PodQOSClass {
  const requests = new Map<string, Quantity>();
  const limits = new Map<string, Quantity>();
  let guaranteed = true;
  const accumulate = (list: ResourceList | undefined, into: Map<string, Quantity>, found?: Set<string>): void => {
    for (const name of Object.keys(list ?? {})) {
      if (!QOS_RESOURCES.includes(name)) continue;
      const q = quantity(list, name);
      if (!q || q.sign() <= 0) continue;
      found?.add(name);
      const prev = into.get(name);
      into.set(name, prev ? prev.add(q) : q);
    }
  };
  if (podLevelResourcesSet(pod)) {
    const r = pod.spec.resources!;
    accumulate(r.requests, requests);
    if (Object.keys(r.limits ?? {}).length > 0) {
      const found = new Set<string>();
      accumulate(r.limits, limits, found);
      if (!QOS_RESOURCES.every((n) => found.has(n))) guaranteed = false;
    }
  } else {
    // Ephemeral containers cannot have resources and do not count.
    for (const c of [...pod.spec.containers, ...(pod.spec.initContainers ?? [])]) {
      accumulate(c.resources?.requests, requests);
      const found = new Set<string>();
      accumulate(c.resources?.limits, limits, found);
      if (!QOS_RESOURCES.every((n) => found.has(n))) guaranteed = false;
    }
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [name, req] of requests) {
      const lim = limits.get(name);
      if (!lim || lim.cmp(req) !== 0) {
        guaranteed = false;
        break;
      }
    }
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}

/**
 * types.IsCriticalPod: every static pod is critical; a node-critical one
 * (priorityClassName system-node-critical) gets the Guaranteed adjustment whatever
 * its resources. All pods statelet runs are static pods.
 */
export function isNodeCriticalPod(pod: Pod): boolean {
  return pod.spec.priorityClassName === 'system-node-critical';
}

const memoryRequest = (c: Container): number => quantity(c.resources?.requests, 'memory')?.value() ?? 0;

/** Pod-level memory request not given to any container, shared equally (KEP-2837 OOM score adjustment). */
function remainingPodMemReqPerContainer(pod: Pod): number {
  const podReq = quantity(pod.spec.resources?.requests, 'memory')?.value() ?? 0;
  const all = [...pod.spec.containers, ...(pod.spec.initContainers ?? [])];
  const assigned = all.reduce((n, c) => n + memoryRequest(c), 0);
  const remaining = podReq - assigned;
  return remaining > 0 && all.length > 0 ? Math.floor(remaining / all.length) : 0;
}

/** GetContainerOOMScoreAdjust for one container, given the node's memory capacity in bytes. */
export function containerOomScoreAdj(pod: Pod, container: Container, memoryCapacity: number): number {
  if (isNodeCriticalPod(pod)) return GUARANTEED_OOM_SCORE_ADJ;
  const qos = getPodQOS(pod);
  if (qos === 'Guaranteed') return GUARANTEED_OOM_SCORE_ADJ;
  if (qos === 'BestEffort') return BESTEFFORT_OOM_SCORE_ADJ;
  const podLevel = quantity(pod.spec.resources?.requests, 'memory') !== undefined;
  const remaining = podLevel ? remainingPodMemReqPerContainer(pod) : 0;
  const adjFor = (req: number): number => 1000 - Math.trunc((1000 * req) / memoryCapacity);
  let adj = adjFor(memoryRequest(container) + remaining);
  const sidecar = container.restartPolicy === 'Always' && (pod.spec.initContainers ?? []).some((c) => c.name === container.name);
  if (sidecar && pod.spec.containers.length > 0) {
    // A sidecar is killed no earlier than the regular containers it serves.
    const minRegular = Math.min(...pod.spec.containers.map(memoryRequest));
    adj = Math.min(adj, adjFor(minRegular + remaining));
  }
  if (adj < 1000 + GUARANTEED_OOM_SCORE_ADJ) return 1000 + GUARANTEED_OOM_SCORE_ADJ;
  if (adj === BESTEFFORT_OOM_SCORE_ADJ) return adj - 1;
  return adj;
}
