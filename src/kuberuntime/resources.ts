// Container and sandbox resources as the kubelet generates them
// (pkg/kubelet/kuberuntime/kuberuntime_container_linux.go, release-1.34:
// generateLinuxContainerResources, calculateLinuxResources,
// GetHugepageLimitsFromResources, configureContainerSwapResources; helpers_linux.go
// milliCPUToQuota; pkg/kubelet/cm MilliCPUToShares), and the values the downward
// API reads (pkg/api/v1/resource ExtractContainerResourceValue).
import type { HugepageLimit, LinuxContainerResources } from '../cri/types.js';
import { Quantity } from '../k8s/quantity.js';
import type { Container, Pod, ResourceList } from '../k8s/types.js';
import { aggregateContainerRequest } from '../k8s/manifest.js';
import { hugePageUnitSize, type NodeInfo } from './node.js';
import { containerOomScoreAdj, podLevelResourcesSet } from './qos.js';

export const MIN_SHARES = 2;
export const MAX_SHARES = 262144;
export const SHARES_PER_CPU = 1024;
/** The CFS period the kubelet uses (100 ms, in microseconds) unless --cpu-cfs-quota-period says otherwise. */
export const QUOTA_PERIOD = 100000;
export const MIN_QUOTA_PERIOD = 1000;

export function milliCPUToShares(milliCPU: number): number {
  if (milliCPU === 0) return MIN_SHARES;
  const shares = Math.trunc((milliCPU * SHARES_PER_CPU) / 1000);
  return Math.min(MAX_SHARES, Math.max(MIN_SHARES, shares));
}

export function milliCPUToQuota(milliCPU: number, period: number): number {
  if (milliCPU === 0) return 0;
  return Math.max(MIN_QUOTA_PERIOD, Math.trunc((milliCPU * period) / 1000));
}

function get(list: ResourceList | undefined, name: string): Quantity | undefined {
  const v = list?.[name];
  if (v === undefined) return undefined;
  const q = Quantity.tryParse(v);
  return typeof q === 'string' ? undefined : q;
}

/** calculateLinuxResources: shares from the request (or the limit when there is no request), quota from the limit. */
export function calculateLinuxResources(
  cpuRequest: Quantity | undefined,
  cpuLimit: Quantity | undefined,
  memoryLimit: Quantity | undefined,
  node: Pick<NodeInfo, 'cgroupV2'>,
): LinuxContainerResources {
  const shares = cpuRequest === undefined ? milliCPUToShares(cpuLimit?.milliValue() ?? 0) : milliCPUToShares(cpuRequest.milliValue());
  const out: LinuxContainerResources = {
    cpuShares: shares,
    cpuPeriod: QUOTA_PERIOD,
    cpuQuota: milliCPUToQuota(cpuLimit?.milliValue() ?? 0, QUOTA_PERIOD),
  };
  const mem = memoryLimit?.value() ?? 0;
  if (mem !== 0) out.memoryLimitInBytes = mem;
  // cgroup v2: the kernel kills the whole container on OOM (singleProcessOOMKill defaults to false).
  if (node.cgroupV2) out.unified = { 'memory.oom.group': '1' };
  return out;
}

/** getCPULimit / getMemoryLimit: the pod-level limit stands in for a container that has none. */
function containerLimit(pod: Pod, container: Container, name: string): Quantity | undefined {
  const own = get(container.resources?.limits, name);
  if ((!own || own.isZero()) && podLevelResourcesSet(pod)) return get(pod.spec.resources?.limits, name) ?? own;
  return own;
}

/** GetHugepageLimitsFromResources: every host page size, 0 unless the container has a limit for it. */
export function hugepageLimits(container: Container, node: Pick<NodeInfo, 'hugePageSizes'>): HugepageLimit[] {
  const wanted = new Map<string, number>();
  for (const [name, v] of Object.entries(container.resources?.limits ?? {})) {
    const m = /^hugepages-(.+)$/.exec(name);
    if (!m) continue;
    const size = Quantity.tryParse(m[1]!);
    const amount = Quantity.tryParse(v);
    if (typeof size === 'string' || typeof amount === 'string') continue;
    wanted.set(hugePageUnitSize(size.value()), amount.value());
  }
  return node.hugePageSizes.map((pageSize) => ({ pageSize, limit: wanted.get(pageSize) ?? 0 }));
}

/** generateLinuxContainerResources for one container. */
export function generateLinuxContainerResources(pod: Pod, container: Container, node: NodeInfo): LinuxContainerResources {
  const cpuRequest = container.resources?.requests?.['cpu'] !== undefined ? get(container.resources.requests, 'cpu') : undefined;
  const lcr = calculateLinuxResources(cpuRequest, containerLimit(pod, container, 'cpu'), containerLimit(pod, container, 'memory'), node);
  lcr.oomScoreAdj = containerOomScoreAdj(pod, container, node.memoryCapacityBytes);
  const huge = hugepageLimits(container, node);
  if (huge.length) lcr.hugepageLimits = huge;
  // configureContainerSwapResources with the default NoSwap behaviour.
  if (node.cgroupV2) lcr.unified = { ...(lcr.unified ?? {}), 'memory.swap.max': '0' };
  else if (node.swapControllerV1 && lcr.memoryLimitInBytes !== undefined) lcr.memorySwapLimitInBytes = lcr.memoryLimitInBytes;
  return lcr;
}

/** resourcehelper.PodLimits: pod-level limits, else the containers' (sum of regular and sidecars, max with each init). */
function podLimit(pod: Pod, name: string): Quantity | undefined {
  if (podLevelResourcesSet(pod)) {
    const own = get(pod.spec.resources?.limits, name);
    if (own) return own;
  }
  let sidecars = Quantity.zero();
  let initMax = Quantity.zero();
  let seen = false;
  for (const c of pod.spec.initContainers ?? []) {
    const l = get(c.resources?.limits, name);
    if (!l) continue;
    seen = true;
    if (c.restartPolicy === 'Always') sidecars = sidecars.add(l);
    else if (l.add(sidecars).cmp(initMax) > 0) initMax = l.add(sidecars);
  }
  let sum = sidecars;
  for (const c of pod.spec.containers) {
    const l = get(c.resources?.limits, name);
    if (l) {
      seen = true;
      sum = sum.add(l);
    }
  }
  if (!seen) return undefined;
  return sum.cmp(initMax) >= 0 ? sum : initMax;
}

function podRequest(pod: Pod, name: string): Quantity | undefined {
  if (podLevelResourcesSet(pod)) {
    const own = get(pod.spec.resources?.requests, name);
    if (own) return own;
  }
  return aggregateContainerRequest(pod.spec, name);
}

/** calculateSandboxResources + convertOverheadToLinuxResources (applySandboxResources). */
export function generateSandboxResources(pod: Pod, node: NodeInfo): { resources: LinuxContainerResources; overhead: LinuxContainerResources } {
  return {
    resources: calculateLinuxResources(podRequest(pod, 'cpu'), podLimit(pod, 'cpu'), podLimit(pod, 'memory'), node),
    // spec.overhead is set only by RuntimeClass admission, which a static pod never passes.
    overhead: {},
  };
}

/**
 * defaultPodLimitsForDownwardAPI + ExtractContainerResourceValue: a resourceFieldRef's
 * value for `container`; limits the container does not set are the pod-level limit, else
 * the node's allocatable. cpu rounds up to the divisor's millicores, the rest to its units.
 */
export function containerResourceValue(pod: Pod, container: Container, resource: string, divisor: string | undefined, node: NodeInfo): string {
  const div = divisor === undefined || divisor === '' ? Quantity.parse('1') : Quantity.parse(divisor);
  const one = div.isZero() ? Quantity.parse('1') : div;
  const [kind, name] = resource.split('.', 2) as ['limits' | 'requests', string];
  let q: Quantity | undefined;
  if (kind === 'limits') {
    q = containerLimit(pod, container, name);
    if (!q || q.isZero()) {
      if (name === 'cpu') q = Quantity.parse(`${node.cpuMillis}m`);
      else if (name === 'memory') q = Quantity.parse(String(node.memoryCapacityBytes));
      else if (name === 'ephemeral-storage') q = Quantity.parse(String(node.ephemeralStorageBytes));
    }
  } else if (kind === 'requests') {
    q = get(container.resources?.requests, name);
  } else {
    throw new Error(`unsupported container resource : ${resource}`);
  }
  q ??= Quantity.zero();
  if (name === 'cpu') return String(Math.ceil(q.milliValue() / one.milliValue()));
  return String(Math.ceil(q.value() / one.value()));
}

// ---------------------------------------------------------------------------
// In-place resize (KEP-1287): what the runtime reports back, as the kubelet reads it
// (kuberuntime_container.go toKubeContainerStatus, helpers_linux.go quotaToMilliCPU and
// sharesToMilliCPU, kubelet_pods.go convertToAPIContainerStatuses'
// convertContainerStatusResources).

/** quotaToMilliCPU: -1 (no limit) stays -1; no period means no limit to report. */
export function quotaToMilliCPU(quota: number, period: number): number {
  if (quota === -1) return -1;
  if (period <= 0) return 0;
  return Math.trunc((quota * 1000) / period);
}

/** sharesToMilliCPU: the minimum 2 shares (a request below 2m, or none) reads as 0. */
export function sharesToMilliCPU(shares: number): number {
  return shares > MIN_SHARES ? Math.ceil((shares * 1000) / SHARES_PER_CPU) : 0;
}

/** resource.NewMilliQuantity(m, DecimalSI).String(): `500m`, `1`, `1500m`. */
export function milliCPUString(milli: number): string {
  return milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`;
}

/** resource.NewQuantity(b, BinarySI).String(): `128Mi`, `1Gi`, `1000` (bytes that are no power-of-1024 multiple). */
export function bytesBinaryString(bytes: number): string {
  const units = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
  let v = bytes;
  let i = 0;
  while (i < units.length - 1 && v !== 0 && v % 1024 === 0) {
    v /= 1024;
    i++;
  }
  return `${v}${units[i]}`;
}

/** A CRI LinuxContainerResources as received (int64 fields as decimal strings) or as sent (numbers). */
export type RuntimeLinuxResources = { cpuPeriod?: unknown; cpuQuota?: unknown; cpuShares?: unknown; memoryLimitInBytes?: unknown } | null | undefined;

const num = (v: unknown): number => (typeof v === 'number' ? v : typeof v === 'string' && v !== '' ? Number(v) : 0);

/** toKubeContainerStatus: the cpu limit (quota/period), cpu request (shares) and memory limit the runtime reports, as quantities. */
export function runtimeResourceValues(linux: RuntimeLinuxResources): { cpuLimit?: string; cpuRequest?: string; memoryLimit?: string } {
  if (!linux) return {};
  const out: { cpuLimit?: string; cpuRequest?: string; memoryLimit?: string } = {};
  if (num(linux.cpuPeriod) > 0) {
    const milli = quotaToMilliCPU(num(linux.cpuQuota), num(linux.cpuPeriod));
    if (milli > 0) out.cpuLimit = milliCPUString(milli);
  }
  if (num(linux.cpuShares) > 0) {
    const milli = sharesToMilliCPU(num(linux.cpuShares));
    if (milli > 0) out.cpuRequest = milliCPUString(milli);
  }
  if (num(linux.memoryLimitInBytes) > 0) out.memoryLimit = bytesBinaryString(num(linux.memoryLimitInBytes));
  return out;
}

/**
 * containerStatuses[].resources: for each allocated list (the spec's resources, which a static
 * pod's kubelet admits as they are), cpu and the memory limit as the runtime reports them when
 * it does, everything else (and anything the runtime does not report) as allocated. Undefined
 * for a container without requests or limits.
 */
export function containerStatusResources(allocated: Container['resources'], runtime?: RuntimeLinuxResources): Container['resources'] | undefined {
  const limits = allocated?.limits && Object.keys(allocated.limits).length ? allocated.limits : undefined;
  const requests = allocated?.requests && Object.keys(allocated.requests).length ? allocated.requests : undefined;
  if (!limits && !requests) return undefined;
  const actual = runtimeResourceValues(runtime);
  // requests before limits, as a manifest usually lists them (the order is not significant).
  const out: NonNullable<Container['resources']> = {};
  if (requests) {
    const r: ResourceList = { ...requests };
    if (actual.cpuRequest !== undefined) r['cpu'] = actual.cpuRequest;
    out.requests = r;
  }
  if (limits) {
    const l: ResourceList = { ...limits };
    if (actual.cpuLimit !== undefined) l['cpu'] = actual.cpuLimit;
    if (actual.memoryLimit !== undefined) l['memory'] = actual.memoryLimit;
    out.limits = l;
  }
  return out;
}

/** containerStatuses[].allocatedResources: the allocated requests (KEP-1287 reports requests only). */
export function allocatedResources(container: Pick<Container, 'resources'>): ResourceList | undefined {
  const r = container.resources?.requests;
  return r && Object.keys(r).length ? { ...r } : undefined;
}
