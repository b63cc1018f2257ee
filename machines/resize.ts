// In-place pod resize (KEP-1287, InPlacePodVerticalScaling, GA in 1.35), pure.
//
// - resizeDecision: what an edit of one container asks for, as the kubelet's
//   computePodResizeAction (pkg/kubelet/kuberuntime/kuberuntime_manager.go) decides it:
//   a cpu or memory change is applied in place with UpdateContainerResources unless the
//   container's resizePolicy for a changed resource is RestartContainer, in which case
//   the container is killed and started again with the new values (keeping its restart
//   count and back-off, as a resize restart is not a crash).
// - the PodResizePending / PodResizeInProgress conditions (pkg/kubelet/status
//   GeneratePodResizeCondition and the allocation manager's reasons), with observedGeneration.
//
// The actor that applies a resize is `updateContainerResources` (src/actors/index.ts); its
// input and output are declared here, the contract between the charts and the actor.
import type { LinuxContainerResources } from '../src/cri/types.js';
import { Quantity } from '../src/k8s/quantity.js';
import type { Container, Pod, PodCondition, ResourceList } from '../src/k8s/types.js';

/**
 * - `none`: nothing to actuate (no cpu/memory change; resizePolicy alone may have changed);
 * - `resize`: UpdateContainerResources on the running container;
 * - `restart`: a changed resource has `resizePolicy: RestartContainer`: kill and start again;
 * - `invalid`: another field than cpu/memory and resizePolicy changed (the edit is refused,
 *   as ValidatePodUpdate / ValidatePodResize refuse it). The image is not compared: an image
 *   change is a kill-and-restart of its own (the container hash).
 */
export type ResizeDecision = 'none' | 'resize' | 'restart' | 'invalid';

/** The resources an in-place resize may change. */
export const RESIZABLE_RESOURCES = ['cpu', 'memory'] as const;
export type ResizableResource = (typeof RESIZABLE_RESOURCES)[number];

const sameQuantity = (a: string | undefined, b: string | undefined): boolean => {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  const x = Quantity.tryParse(a);
  const y = Quantity.tryParse(b);
  return typeof x !== 'string' && typeof y !== 'string' && x.cmp(y) === 0;
};

/** Which of cpu and memory differ between two containers' requests or limits; `other` when any other resource does. */
export function changedResources(oldContainer: Pick<Container, 'resources'>, newContainer: Pick<Container, 'resources'>): { changed: ResizableResource[]; other: boolean } {
  const changed = new Set<ResizableResource>();
  let other = false;
  for (const kind of ['requests', 'limits'] as const) {
    const a: ResourceList = oldContainer.resources?.[kind] ?? {};
    const b: ResourceList = newContainer.resources?.[kind] ?? {};
    for (const name of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (sameQuantity(a[name], b[name])) continue;
      if ((RESIZABLE_RESOURCES as readonly string[]).includes(name)) changed.add(name as ResizableResource);
      else other = true;
    }
  }
  return { changed: RESIZABLE_RESOURCES.filter((r) => changed.has(r)), other };
}

/** The container's resizePolicy for a resource: NotRequired unless it says RestartContainer (the API default). */
export function resizeRestartPolicy(container: Pick<Container, 'resizePolicy'>, resource: ResizableResource): 'NotRequired' | 'RestartContainer' {
  const p = container.resizePolicy?.find((x) => x.resourceName === resource);
  return p?.restartPolicy === 'RestartContainer' ? 'RestartContainer' : 'NotRequired';
}

/** JSON of a container without the fields a resize may change (and the image, compared elsewhere). */
function immutablePart(c: Container): string {
  const { resources: _r, resizePolicy: _p, image: _i, ...rest } = c;
  const sorted = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sorted);
    if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted((v as Record<string, unknown>)[k])]));
    return v;
  };
  return JSON.stringify(sorted(rest));
}

/**
 * computePodResizeAction for one container: its spec before and after an edit. When both cpu
 * and memory change with different policies, RestartContainer wins (KEP-1287).
 */
export function resizeDecision(oldContainer: Container, newContainer: Container): ResizeDecision {
  if (oldContainer.name !== newContainer.name || immutablePart(oldContainer) !== immutablePart(newContainer)) return 'invalid';
  const { changed, other } = changedResources(oldContainer, newContainer);
  if (other) return 'invalid';
  if (changed.length === 0) return 'none';
  return changed.some((r) => resizeRestartPolicy(newContainer, r) === 'RestartContainer') ? 'restart' : 'resize';
}

// ---------------------------------------------------------------------------
// Conditions

/** Why a resize is not allocated yet: Deferred (may fit later, re-evaluated) or Infeasible (never). */
export type ResizePendingReason = 'Deferred' | 'Infeasible';

export interface ResizeConditionOptions {
  /** metadata.generation of the pod when the resize was (last) attempted. */
  observedGeneration?: number;
  /** RFC 3339; kept from the previous status while the condition does not change. */
  lastTransitionTime?: string;
}

/**
 * PodResizePending (True whenever present; removed once the resize is allocated or reverted),
 * with the reason and a message saying why.
 */
export function podResizePendingCondition(reason: ResizePendingReason, message: string, opts: ResizeConditionOptions = {}): PodCondition {
  const c: PodCondition = { type: 'PodResizePending', status: 'True', reason, message };
  if (opts.observedGeneration !== undefined) c.observedGeneration = opts.observedGeneration;
  if (opts.lastTransitionTime !== undefined) c.lastTransitionTime = opts.lastTransitionTime;
  return c;
}

/**
 * PodResizeInProgress (True while allocated != actuated resources): no reason or message
 * while all goes well, reason `Error` and the error's message when actuating failed.
 */
export function podResizeInProgressCondition(opts: ResizeConditionOptions & { error?: string } = {}): PodCondition {
  const c: PodCondition = { type: 'PodResizeInProgress', status: 'True' };
  if (opts.error !== undefined) {
    c.reason = 'Error';
    c.message = opts.error;
  }
  if (opts.observedGeneration !== undefined) c.observedGeneration = opts.observedGeneration;
  if (opts.lastTransitionTime !== undefined) c.lastTransitionTime = opts.lastTransitionTime;
  return c;
}

/** What the node offers pods (allocatable cpu in millicores, memory in bytes). */
export interface NodeAllocatable {
  cpuMillis: number;
  memoryBytes: number;
}

const requestOf = (c: Container, name: ResizableResource): Quantity => {
  const v = c.resources?.requests?.[name];
  const q = v === undefined ? undefined : Quantity.tryParse(v);
  return q === undefined || typeof q === 'string' ? Quantity.zero() : q;
};

/** resourcehelper PodRequests for cpu or memory: regular containers and sidecars together, or the largest init step. */
export function podRequest(pod: Pick<Pod, 'spec'>, name: ResizableResource): Quantity {
  let sidecars = Quantity.zero();
  let initMax = Quantity.zero();
  for (const c of pod.spec.initContainers ?? []) {
    const r = requestOf(c, name);
    if (c.restartPolicy === 'Always') sidecars = sidecars.add(r);
    else if (r.add(sidecars).cmp(initMax) > 0) initMax = r.add(sidecars);
  }
  let sum = sidecars;
  for (const c of pod.spec.containers) sum = sum.add(requestOf(c, name));
  return sum.cmp(initMax) >= 0 ? sum : initMax;
}

/**
 * The allocation manager's capacity check (canResizePod): a resize whose pod requests exceed
 * what the node can ever give is Infeasible, with the kubelet's message; undefined when it fits.
 * (A kubelet also marks every static pod's resize Infeasible; statelet resizes them, see README.)
 */
export function resizeInfeasibleMessage(pod: Pick<Pod, 'spec'>, node: NodeAllocatable): string | undefined {
  const cpu = podRequest(pod, 'cpu').milliValue();
  const mem = podRequest(pod, 'memory').value();
  if (mem > node.memoryBytes) return `Node didn't have enough capacity: memory, requested: ${mem}, capacity: ${node.memoryBytes}`;
  if (cpu > node.cpuMillis) return `Node didn't have enough capacity: cpu, requested: ${cpu}, capacity: ${node.cpuMillis}`;
  return undefined;
}

/** What the node's other pods hold: the sum of their allocated requests (the scheduler framework's nodeInfo.Requested). */
export interface NodeUsage {
  cpuMillis: number;
  memoryBytes: number;
}

/** A pod's requests as the admission predicates count them (PodRequests: cpu in millicores, memory in bytes). */
export function podRequests(pod: Pick<Pod, 'spec'>): NodeUsage {
  return { cpuMillis: podRequest(pod, 'cpu').milliValue(), memoryBytes: podRequest(pod, 'memory').value() };
}

/**
 * canResizePod's second check (pkg/kubelet/kubelet.go in 1.33, allocation_manager.go
 * handlePodResourcesResize → canAdmitPod with lifecycle.ResizeOperation since): a resize that
 * the node could fit must also fit next to what the other pods hold, as a new pod would at
 * admission. The predicate (noderesources fitsRequest) checks cpu, then memory, and its
 * InsufficientResourceError text becomes the Deferred condition's message. Undefined: it fits.
 */
export function resizeDeferredMessage(pod: Pick<Pod, 'spec'>, node: NodeAllocatable, used: NodeUsage): string | undefined {
  const want = podRequests(pod);
  const short = (name: string, requested: number, inUse: number, capacity: number): string =>
    `Node didn't have enough resource: ${name}, requested: ${requested}, used: ${inUse}, capacity: ${capacity}`;
  if (want.cpuMillis > 0 && want.cpuMillis > node.cpuMillis - used.cpuMillis) return short('cpu', want.cpuMillis, used.cpuMillis, node.cpuMillis);
  if (want.memoryBytes > 0 && want.memoryBytes > node.memoryBytes - used.memoryBytes) return short('memory', want.memoryBytes, used.memoryBytes, node.memoryBytes);
  return undefined;
}

// ---------------------------------------------------------------------------
// The actor contract

/**
 * Input of the `updateContainerResources` actor: the container to resize and either its new
 * CRI resources, or the pod and container spec they are generated from
 * (generateLinuxContainerResources, as the kubelet's updateContainerResources does).
 */
export type UpdateContainerResourcesInput = { containerId: string } & ({ resources: LinuxContainerResources } | { pod: Pod; container: Container });

/** What was sent, and when the runtime took it (epoch ms). */
export interface UpdateContainerResourcesOutput {
  resources: LinuxContainerResources;
  at: number;
}

// ---------------------------------------------------------------------------
// What the container chart needs around a decision

/** computePodResizeAction's kill message for a resize whose policy is RestartContainer. */
export function resizeRestartKillMessage(containerName: string): string {
  return `Container ${containerName} resize requires restart`;
}

/**
 * Why an edit of a running container is refused, worded as ValidatePodResize /
 * ValidatePodUpdate word it (pkg/apis/core/validation), for the Warning InvalidManifest
 * event. Only meaningful when resizeDecision said `invalid`.
 */
export function invalidEditMessage(oldContainer: Container, newContainer: Container): string {
  const detail = changedResources(oldContainer, newContainer).other
    ? 'resources: Forbidden: only cpu and memory resources are mutable'
    : 'Forbidden: pod updates may not change fields other than the image and the cpu and memory resources of a container';
  return `Ignoring an invalid edit of container ${newContainer.name}: ${detail}`;
}

/** The pod as it is after the edit of one container: the input generateLinuxContainerResources needs (pod-level limits, QoS). */
export function podWithContainer(pod: Pod, container: Container): Pod {
  const swap = (list: Container[] | undefined) => list?.map((c) => (c.name === container.name ? container : c));
  return { ...pod, spec: { ...pod.spec, containers: swap(pod.spec.containers) ?? [], initContainers: swap(pod.spec.initContainers) } };
}

/**
 * The pod with some containers' resources replaced (by name; the others as they are): the
 * pod as allocated, when a resize is held back or only partly admitted (the allocation
 * manager's UpdatePodFromAllocation). The pod itself is returned when nothing changes.
 */
export function podWithResources(pod: Pod, resources: Readonly<Record<string, Container['resources']>> | undefined): Pod {
  if (!resources || Object.keys(resources).length === 0) return pod;
  const swap = (c: Container): Container => (c.name in resources ? { ...c, resources: resources[c.name] } : c);
  return { ...pod, spec: { ...pod.spec, containers: pod.spec.containers.map(swap), initContainers: pod.spec.initContainers?.map(swap) } };
}

/** What a container tells its pod of a resize it actuates (the pod keeps it for the PodResizeInProgress condition). */
export interface ResizeReport {
  /** UpdateContainerResources failed: the error's message (the condition's reason is `Error`). */
  error?: string;
}

/**
 * The pod's resize conditions: PodResizePending while the allocation manager holds an edit
 * back (Infeasible; the pod decided it at the edit), and from what its containers reported, PodResizeInProgress while a
 * container's UpdateContainerResources is under way or failed (reason Error, the first error's
 * message), as the kubelet's status manager sets it (SetPodResizeInProgressCondition) between
 * allocation and actuation. The lastTransitionTime is kept from the previous status.
 */
export function resizeConditions(
  resizes: Record<string, ResizeReport> | undefined,
  pending: { reason: ResizePendingReason; message: string; observedGeneration?: number } | undefined,
  opts: { observedGeneration?: number; previous?: PodCondition[]; now: string },
): PodCondition[] {
  const out: PodCondition[] = [];
  const since = (type: string, reason: string | undefined, message: string | undefined): string => {
    const before = opts.previous?.find((c) => c.type === type);
    return before?.lastTransitionTime && before.reason === reason && before.message === message ? before.lastTransitionTime : opts.now;
  };
  if (pending) {
    out.push(podResizePendingCondition(pending.reason, pending.message, { observedGeneration: pending.observedGeneration, lastTransitionTime: since('PodResizePending', pending.reason, pending.message) }));
  }
  const entries = Object.values(resizes ?? {});
  if (entries.length) {
    const error = entries.find((r) => r.error !== undefined)?.error;
    out.push(podResizeInProgressCondition({ error, observedGeneration: opts.observedGeneration, lastTransitionTime: since('PodResizeInProgress', error !== undefined ? 'Error' : undefined, error) }));
  }
  return out;
}

// ---------------------------------------------------------------------------
// Events (pkg/kubelet/events: ResizeStarted, ResizeCompleted, ResizeDeferred, ResizeInfeasible)

export const ResizeEventReason = {
  Started: 'ResizeStarted',
  Completed: 'ResizeCompleted',
  Deferred: 'ResizeDeferred',
  Infeasible: 'ResizeInfeasible',
} as const;

/** Go's encoding/json of a ResourceList: keys sorted, quantities as strings. */
const resourceListJson = (l: ResourceList | undefined): string | undefined => {
  const keys = Object.keys(l ?? {}).sort();
  return keys.length ? `{${keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(String(l![k]))}`).join(',')}}` : undefined;
};

/**
 * The message of a resize event (pkg/kubelet/events podResizeMessage): `<prefix>: ` and the
 * JSON of the pod's resources as encoding/json writes podResourceSummary: initContainers and
 * containers (omitted when empty) with each container's name and resources (limits, then
 * requests, each omitted when empty), the generation (always, 0 for a pod without one), and
 * the error (omitted when empty).
 */
export function podResizeEventMessage(prefix: string, pod: Pick<Pod, 'spec' | 'metadata'>, error?: string): string {
  const entry = (c: Container): string => {
    const parts = [['limits', resourceListJson(c.resources?.limits)], ['requests', resourceListJson(c.resources?.requests)]].filter(([, v]) => v !== undefined);
    return `{"name":${JSON.stringify(c.name)},"resources":{${parts.map(([k, v]) => `"${k}":${v}`).join(',')}}}`;
  };
  const fields: string[] = [];
  const init = pod.spec.initContainers ?? [];
  if (init.length) fields.push(`"initContainers":[${init.map(entry).join(',')}]`);
  if (pod.spec.containers.length) fields.push(`"containers":[${pod.spec.containers.map(entry).join(',')}]`);
  fields.push(`"generation":${pod.metadata.generation ?? 0}`);
  if (error) fields.push(`"error":${JSON.stringify(error)}`);
  return `${prefix}: {${fields.join(',')}}`;
}
