// KEP-1287 in the pod chart: the allocation manager's part of an in-place resize, pure.
// An edit's resources are allocated, or held back (PodResizePending Deferred/Infeasible),
// and the pod records the kubelet's resize events (pkg/kubelet/allocation
// allocation_manager.go handlePodResourcesResize; pkg/kubelet/kubelet.go SyncPod for
// ResizeCompleted).
import type { Container, Pod } from '../../src/k8s/types.js';
import { DEFAULT_FEATURE_GATES } from '../features.js';
import { changedResources, podResizeEventMessage, podWithResources, resizeDeferredMessage, resizeInfeasibleMessage, ResizeEventReason, type NodeUsage } from '../resize.js';
import type { EventRecord } from '../types.js';
import type { PodContext, ResizePendingState } from './types.js';

export function allSpecContainers(pod: Pod): Container[] {
  return [...(pod.spec.initContainers ?? []), ...pod.spec.containers, ...(pod.spec.ephemeralContainers ?? [])];
}

export interface Allocation {
  /** Held back: why (PodResizePending). */
  pending?: ResizePendingState;
  /** What each container keeps while the resize is held back, by name. */
  allocated: Record<string, Container['resources']>;
  /** The edit changes some container's cpu or memory (with InPlacePodVerticalScaling on). */
  resized: boolean;
}

/**
 * The allocation manager's decision for an edit (allocation_manager.go handlePodResourcesResize,
 * canResizePod): every container's resources are allocated as edited, unless the pod's new
 * requests exceed the node's capacity (Infeasible: it never will fit) or, given what the node's
 * other pods hold (`used`, from the manager with the event), its free room (Deferred: retried
 * when a pod goes away or is resized). Then each container keeps the resources allocated
 * before (`allocated`, by name). No node in the config: no check; no `used`: capacity only.
 */
export function resizeAllocation(context: PodContext, next: Pod, used?: NodeUsage): Allocation {
  const allocated: Record<string, Container['resources']> = {};
  const before = new Map(allSpecContainers(context.pod).map((c) => [c.name, context.heldResources?.[c.name] ?? c.resources]));
  let resized = false;
  for (const c of allSpecContainers(next)) {
    if (!before.has(c.name)) continue;
    allocated[c.name] = before.get(c.name);
    if (changedResources({ resources: before.get(c.name) }, c).changed.length) resized = true;
  }
  const gates = context.config.container.featureGates ?? DEFAULT_FEATURE_GATES;
  const node = context.config.node;
  if (!gates.InPlacePodVerticalScaling) return { allocated, resized: false };
  if (!resized || !node) return { allocated, resized };
  const observedGeneration = next.metadata.generation;
  const infeasible = resizeInfeasibleMessage(next, node);
  if (infeasible) return { pending: { reason: 'Infeasible', message: infeasible, observedGeneration }, allocated, resized };
  const deferred = used ? resizeDeferredMessage(next, node, used) : undefined;
  if (deferred) return { pending: { reason: 'Deferred', message: deferred, observedGeneration }, allocated, resized };
  return { allocated, resized };
}

/**
 * The events of an allocation decision: ResizeStarted (Normal) when a resize is allocated,
 * ResizeDeferred / ResizeInfeasible (Warning) when it is held back and the PodResizePending
 * condition changes (SetPodResizePendingCondition reports a change: a retry that changes
 * nothing records nothing).
 */
export function allocationEvents(before: ResizePendingState | undefined, after: Pick<Allocation, 'pending' | 'resized'>, pod: Pod): EventRecord[] {
  const p = after.pending;
  if (p) {
    if (before && before.reason === p.reason && before.message === p.message && before.observedGeneration === p.observedGeneration) return [];
    const reason = p.reason === 'Infeasible' ? ResizeEventReason.Infeasible : ResizeEventReason.Deferred;
    return [{ type: 'Warning', reason, message: podResizeEventMessage(`Pod resize ${p.reason}`, pod, p.message) }];
  }
  if (!after.resized) return [];
  return [{ type: 'Normal', reason: ResizeEventReason.Started, message: podResizeEventMessage('Pod resize started', pod) }];
}

/** ResizeCompleted: every container runs with what was allocated (PodResizeCompletedMsg of the allocated pod). */
export function resizeCompletedEvent(context: Pick<PodContext, 'pod' | 'heldResources'>): EventRecord {
  return { type: 'Normal', reason: ResizeEventReason.Completed, message: podResizeEventMessage('Pod resize completed', podWithResources(context.pod, context.heldResources)) };
}
