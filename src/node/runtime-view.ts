// The runtime's truth about statelet's pods, read back through the CRI by the
// labels the kubelet writes (io.kubernetes.pod.uid, io.kubernetes.container.name,
// the attempt in the CRI metadata and the restartCount/hash annotations): what a
// restarted agent adopts, and what orphan cleanup removes.
import type { CriClient } from '../cri/client.js';
import { CriNotFoundError } from '../cri/errors.js';
import type { ContainerStatus, PodSandbox } from '../cri/types.js';
import { toInstanceStatus } from '../actors/index.js';
import type { InstanceStatus } from '../../machines/types.js';
import {
  CONTAINER_HASH_ANNOTATION,
  CONTAINER_NAME_LABEL,
  CONTAINER_RESTART_COUNT_ANNOTATION,
  MANAGED_BY_LABEL,
  POD_NAME_LABEL,
  POD_NAMESPACE_LABEL,
  POD_UID_LABEL,
} from '../kuberuntime/labels.js';

/** statelet serve: the node whose agent created a sandbox (its orphans are the agent's to remove). */
export const NODE_NAME_LABEL = 'io.statelet.node';

export interface RuntimeSandbox {
  id: string;
  uid: string;
  name: string;
  namespace: string;
  attempt: number;
  ready: boolean;
  createdAt: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  ip: string;
}

export interface RuntimeInstance {
  id: string;
  sandboxId: string;
  /** The container's name in the pod spec. */
  name: string;
  /** metadata.attempt (= the restart count the kubelet gave it). */
  attempt: number;
  status: InstanceStatus;
  /** The container hash annotation the instance was created with. */
  hash?: string;
  image: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  logPath: string;
}

export interface RuntimePod {
  uid: string;
  name: string;
  namespace: string;
  /** Newest first (attempt, then creation time). */
  sandboxes: RuntimeSandbox[];
  /** Newest first per container name: attempt, then creation time. */
  instances: RuntimeInstance[];
}

const nsToMs = (v: string | number | undefined): number => {
  try {
    return Number(BigInt(v ?? 0) / 1_000_000n);
  } catch {
    return 0;
  }
};

function sandboxOf(s: PodSandbox, ip: string): RuntimeSandbox {
  return {
    id: s.id,
    uid: s.labels[POD_UID_LABEL] ?? s.metadata?.uid ?? '',
    name: s.labels[POD_NAME_LABEL] ?? s.metadata?.name ?? '',
    namespace: s.labels[POD_NAMESPACE_LABEL] ?? s.metadata?.namespace ?? '',
    attempt: s.metadata?.attempt ?? 0,
    ready: s.state === 'SANDBOX_READY',
    createdAt: nsToMs(s.createdAt),
    labels: { ...s.labels },
    annotations: { ...s.annotations },
    ip,
  };
}

function instanceOf(st: ContainerStatus, sandboxId: string): RuntimeInstance {
  const ann = st.annotations ?? {};
  const attempt = st.metadata?.attempt ?? Number(ann[CONTAINER_RESTART_COUNT_ANNOTATION] ?? 0);
  return {
    id: st.id,
    sandboxId,
    name: st.labels[CONTAINER_NAME_LABEL] ?? st.metadata?.name ?? '',
    attempt,
    status: toInstanceStatus(st),
    hash: ann[CONTAINER_HASH_ANNOTATION],
    image: st.image?.image ?? '',
    labels: { ...st.labels },
    annotations: { ...ann },
    logPath: st.logPath,
  };
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      for (;;) {
        const i = next++;
        if (i >= items.length) return;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

/**
 * Every statelet-managed pod in the runtime matching `selector` (sandbox labels), with
 * its sandboxes and container instances, by pod UID. Containers are read with
 * ContainerStatus (exit codes, times and annotations are only there).
 */
export async function listRuntimePods(client: CriClient, selector: Record<string, string> = {}): Promise<Map<string, RuntimePod>> {
  const sel = { [MANAGED_BY_LABEL]: 'true', ...selector };
  const { items } = await client.listPodSandbox({ filter: { labelSelector: sel } });
  const pods = new Map<string, RuntimePod>();
  const ips = await mapLimit(items, 16, async (s) => {
    if (s.state !== 'SANDBOX_READY') return '';
    try {
      return (await client.podSandboxStatus({ podSandboxId: s.id })).status?.network?.ip ?? '';
    } catch {
      return '';
    }
  });
  items.forEach((s, i) => {
    const sb = sandboxOf(s, ips[i]!);
    if (!sb.uid) return;
    let p = pods.get(sb.uid);
    if (!p) pods.set(sb.uid, (p = { uid: sb.uid, name: sb.name, namespace: sb.namespace, sandboxes: [], instances: [] }));
    p.sandboxes.push(sb);
  });
  if (pods.size === 0) return pods;
  const sandboxIds = new Map<string, string>();
  for (const p of pods.values()) for (const s of p.sandboxes) sandboxIds.set(s.id, p.uid);
  const { containers } = await client.listContainers({ filter: { labelSelector: { [MANAGED_BY_LABEL]: 'true' } } });
  const mine = containers.filter((c) => sandboxIds.has(c.podSandboxId));
  const statuses = await mapLimit(mine, 16, async (c) => {
    try {
      return (await client.containerStatus({ containerId: c.id })).status;
    } catch (err) {
      if (err instanceof CriNotFoundError) return null;
      throw err;
    }
  });
  mine.forEach((c, i) => {
    const st = statuses[i];
    if (!st) return;
    pods.get(sandboxIds.get(c.podSandboxId)!)!.instances.push(instanceOf(st, c.podSandboxId));
  });
  for (const p of pods.values()) {
    p.sandboxes.sort((a, b) => b.attempt - a.attempt || b.createdAt - a.createdAt);
    p.instances.sort((a, b) => b.attempt - a.attempt || (b.status.createdAt ?? 0) - (a.status.createdAt ?? 0));
  }
  return pods;
}

/** A pod's runtime state, by UID (undefined when the runtime holds nothing of it). */
export async function runtimePod(client: CriClient, uid: string): Promise<RuntimePod | undefined> {
  return (await listRuntimePods(client, { [POD_UID_LABEL]: uid })).get(uid);
}

/** Instances of one container, newest first. */
export function instancesOf(rp: RuntimePod, name: string): RuntimeInstance[] {
  return rp.instances.filter((i) => i.name === name);
}
