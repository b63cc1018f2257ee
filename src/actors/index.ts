// The actors behind the charts' services, over the CRI client. Each is a small
// abortable fromPromise: leaving a state aborts its signal, which cancels the
// gRPC call. They are idempotent enough to be re-run after a snapshot restore
// (a restore restarts invoked actors).
import { fromPromise } from 'xstate';
import type { CriRuntime, RuntimeService } from '../cri/services.js';
import { CriError, CriNotFoundError } from '../cri/errors.js';
import type { ContainerStatus } from '../cri/types.js';
import { realClock, type Clock } from '../clock.js';
import * as msg from '../k8s/messages.js';
import type { EphemeralContainer } from '../k8s/types.js';
import { DEFAULT_ROOT_DIR, generateContainerConfig, generatePodSandboxConfig } from '../kuberuntime/config.js';
import { prepareContainerMounts } from '../kuberuntime/mounts.js';
import { hostNodeInfo } from '../kuberuntime/node.js';

/** Version().runtimeName of statelet's embedded runtime. */
export const EMBEDDED_RUNTIME_NAME = 'statelet-embedded';
import { CONTAINER_NAME_LABEL, POD_UID_LABEL } from '../kuberuntime/labels.js';
import { imageUserFromStatus, verifyRunAsNonRoot } from '../kuberuntime/security-context.js';
import { generateLinuxContainerResources } from '../kuberuntime/resources.js';
import type { UpdateContainerResourcesInput, UpdateContainerResourcesOutput } from '../../machines/resize.js';
import { runHandler } from './run-handler.js';
import { createProbeActor } from './probe.js';
import type {
  CreateContainerInput,
  CreateContainerOutput,
  InspectImageInput,
  InspectImageOutput,
  InstanceStatus,
  PullImageInput,
  PullImageOutput,
  RemoveContainerInput,
  RemoveContainersInput,
  RemoveSandboxesInput,
  RunHandlerInput,
  RunHandlerOutput,
  RunPodSandboxInput,
  RunPodSandboxOutput,
  SandboxIdInput,
  StartContainerInput,
  StartContainerOutput,
  StopContainerInput,
  StopContainerOutput,
} from '../../machines/types.js';
import type { RuntimeState } from '../../machines/restart-policy.js';

export interface RuntimeActorOptions {
  /** The runtime's RuntimeService and ImageService (a CriClient, or any other implementation). */
  client: CriRuntime;
  clock?: Clock;
  /** Root of the pod log directories (the kubelet's /var/log/pods). */
  podLogsDir: string;
  /** The kubelet's --root-dir: pod directories (volumes, /etc/hosts, termination-message files). Default: beside podLogsDir. */
  rootDir?: string;
}

const nsToMs = (ns: string | number | undefined): number | undefined => {
  if (ns === undefined) return undefined;
  const n = typeof ns === 'number' ? ns : Number(BigInt(ns) / 1_000_000n);
  return n > 0 ? n : undefined;
};

const STATE: Record<string, RuntimeState> = {
  CONTAINER_CREATED: 'created',
  CONTAINER_RUNNING: 'running',
  CONTAINER_EXITED: 'exited',
  CONTAINER_UNKNOWN: 'unknown',
};

/** A CRI ContainerStatus as the charts see an instance (ms timestamps). */
export function toInstanceStatus(s: ContainerStatus): InstanceStatus {
  return {
    id: s.id,
    state: STATE[s.state] ?? 'unknown',
    exitCode: s.exitCode,
    reason: s.reason || undefined,
    message: s.message || undefined,
    createdAt: nsToMs(s.createdAt),
    startedAt: nsToMs(s.startedAt),
    finishedAt: nsToMs(s.finishedAt),
    imageRef: s.imageRef || undefined,
  };
}

/**
 * A failure while generating the container's config, before CreateContainer: the
 * container chart routes an error of this name to CreateContainerConfigError and
 * shows its message (`Error: <message>`), as the kubelet returns s.Message() with
 * ErrCreateContainerConfig.
 */
export class CreateContainerConfigError extends Error {
  override name = 'CreateContainerConfigError';
}

/** Go's s.Message() of an error met during config generation: a CRI error's bare details. */
function configError(err: unknown): CreateContainerConfigError {
  if (err instanceof CreateContainerConfigError) return err;
  const text = err instanceof CriError ? err.details : err instanceof Error ? err.message : String(err);
  return new CreateContainerConfigError(text, { cause: err });
}

const EPHEMERAL_FIELD_PATH = 'spec.ephemeralContainers{';

/** The targetContainerName of an ephemeral container (the input's container, or the pod spec's entry). */
export function ephemeralTargetName(input: Pick<CreateContainerInput, 'pod' | 'container' | 'fieldPath'>): string | undefined {
  if (!input.fieldPath.startsWith(EPHEMERAL_FIELD_PATH)) return undefined;
  const own = (input.container as EphemeralContainer).targetContainerName;
  if (own) return own;
  return input.pod.spec.ephemeralContainers?.find((c) => c.name === input.container.name)?.targetContainerName || undefined;
}

/**
 * startSpec.getTargetID: the target's current container ID, i.e. the newest instance
 * of that name in the pod status (FindContainerStatusByName; the kubelet's status lists
 * a pod's containers newest first by creation time). Statelet reads it from CRI: the
 * pod's containers by the io.kubernetes.pod.uid / io.kubernetes.container.name labels.
 * No instance: `unable to find target container <name>` (CreateContainerConfigError).
 */
export async function resolveTargetContainerId(
  client: Pick<RuntimeService, 'listContainers'>,
  podUid: string,
  target: string,
  signal?: AbortSignal,
): Promise<string> {
  let res;
  try {
    res = await client.listContainers({ filter: { labelSelector: { [POD_UID_LABEL]: podUid, [CONTAINER_NAME_LABEL]: target } } }, { signal });
  } catch (err) {
    throw configError(err);
  }
  const createdNs = (v: string | number | undefined): bigint => {
    try {
      return BigInt(v ?? 0);
    } catch {
      return 0n;
    }
  };
  let newest: { id: string; created: bigint; running: boolean } | undefined;
  for (const c of res.containers) {
    const created = createdNs(c.createdAt);
    const running = c.state === 'CONTAINER_RUNNING';
    // Newest by creation time; on a tie (same nanosecond) the running one.
    if (!newest || created > newest.created || (created === newest.created && running && !newest.running)) {
      newest = { id: c.id, created, running };
    }
  }
  if (!newest) throw new CreateContainerConfigError(msg.targetContainerNotFoundMessage(target));
  return newest.id;
}

/** Errors carry `at` so the chart knows when a failure was seen. */
function stamp<T extends object>(err: T, clock: Clock): T {
  try {
    Object.defineProperty(err, 'at', { value: clock.now(), enumerable: true, configurable: true });
  } catch {
    /* frozen errors keep their time unknown */
  }
  return err;
}

export function createRuntimeActors(opts: RuntimeActorOptions) {
  const { client } = opts;
  const clock = opts.clock ?? realClock;
  const rootDir = opts.rootDir ?? DEFAULT_ROOT_DIR;
  // The embedded runtime runs host processes and cannot mount: the kubelet's own mounts
  // (/etc/hosts, the termination-message file) are generated only for other runtimes.
  let runtimeName: Promise<string | undefined> | undefined;
  const kubeletMounts = async (signal?: AbortSignal): Promise<boolean> => {
    runtimeName ??= Promise.resolve()
      .then(() => client.version({ version: 'v1' }, { signal }))
      .then(
        (v) => v.runtimeName,
        () => {
          runtimeName = undefined;
          return undefined;
        },
      );
    const name = await runtimeName;
    return name !== undefined && name !== EMBEDDED_RUNTIME_NAME;
  };
  const guard = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw stamp(err as object, clock);
    }
  };

  return {
    inspectImage: fromPromise<InspectImageOutput, InspectImageInput>(({ input, signal }) =>
      guard(async () => {
        const res = await client.imageStatus({ image: { image: input.image } }, { signal });
        return res.image ? { present: true, imageRef: res.image.id, size: Number(res.image.size) } : { present: false };
      }),
    ),

    pullImage: fromPromise<PullImageOutput, PullImageInput>(({ input, signal }) =>
      guard(async () => {
        const t0 = clock.now();
        const res = await client.pullImage({ image: { image: input.image }, sandboxConfig: input.sandbox?.config }, { signal });
        const pullMs = clock.now() - t0;
        const st = await client.imageStatus({ image: { image: input.image } }, { signal });
        return { imageRef: res.imageRef, size: Number(st.image?.size ?? 0), pullMs, totalMs: pullMs };
      }),
    ),

    /**
     * startContainer step 2 (kuberuntime_container.go, 1.34): getTargetID, then
     * generateContainerConfig, whose getImageUser (ImageStatus of the spec's image)
     * and verifyRunAsNonRoot run before any config is built; a failure there is a
     * CreateContainerConfigError and CreateContainer is never called.
     */
    createContainer: fromPromise<CreateContainerOutput, CreateContainerInput>(({ input, signal }) =>
      guard(async () => {
        const { pod, container } = input;
        const target = ephemeralTargetName(input);
        const pidTargetId = target ? await resolveTargetContainerId(client, pod.metadata.uid ?? '', target, signal) : undefined;
        let imageStatus;
        try {
          imageStatus = await client.imageStatus({ image: { image: container.image } }, { signal });
        } catch (err) {
          throw configError(err);
        }
        const denied = verifyRunAsNonRoot(pod, container, imageUserFromStatus(imageStatus));
        if (denied) throw new CreateContainerConfigError(denied);
        // Volumes (set up on the host) and mounts come first, as the kubelet's volume manager runs before SyncPod starts containers.
        const node = hostNodeInfo();
        const podIPs = input.sandbox.ip ? [input.sandbox.ip] : [];
        let mounts;
        try {
          mounts = await prepareContainerMounts(pod, container, rootDir, { podIPs, node }, await kubeletMounts(signal));
        } catch (err) {
          throw configError(err);
        }
        let config;
        try {
          config = generateContainerConfig(pod, container, input.restartCount, container.image, { pidTargetId, podIPs, node, rootDir, mounts });
        } catch (err) {
          throw configError(err);
        }
        const res = await client.createContainer(
          { podSandboxId: input.sandbox.id, config, sandboxConfig: input.sandbox.config },
          { signal },
        );
        return { containerId: res.containerId };
      }),
    ),

    startContainer: fromPromise<StartContainerOutput, StartContainerInput>(({ input, signal }) =>
      guard(async () => {
        try {
          await client.startContainer({ containerId: input.containerId }, { signal });
        } catch (err) {
          // What the failed start left behind decides what follows: containerd marks it exited
          // (128, StartError); a runtime may leave it CREATED, which the kubelet starts again
          // whatever the policy (ShouldContainerBeRestarted).
          const st = await client.containerStatus({ containerId: input.containerId }, { signal }).catch(() => undefined);
          if (st?.status?.state === 'CONTAINER_CREATED' && err && typeof err === 'object') {
            Object.defineProperty(err, 'leftCreated', { value: true, enumerable: true, configurable: true });
          }
          throw err;
        }
        return { startedAt: clock.now() };
      }),
    ),

    /**
     * In-place resize (KEP-1287): the kubelet's updateContainerResources (kuberuntime_container.go),
     * UpdateContainerResources with the resources generated as for CreateContainer (or given).
     */
    updateContainerResources: fromPromise<UpdateContainerResourcesOutput, UpdateContainerResourcesInput>(({ input, signal }) =>
      guard(async () => {
        const resources = 'resources' in input ? input.resources : generateLinuxContainerResources(input.pod, input.container, hostNodeInfo());
        await client.updateContainerResources({ containerId: input.containerId, linux: resources }, { signal });
        return { resources, at: clock.now() };
      }),
    ),

    runHandler: fromPromise<RunHandlerOutput, RunHandlerInput>(({ input, signal }) => runHandler({ client, clock }, input, signal)),

    /** One probe attempt (exec, httpGet, tcpSocket, grpc); the probe chart does the counting. */
    runProbe: createProbeActor({ client, clock }),

    stopContainer: fromPromise<StopContainerOutput, StopContainerInput>(({ input, signal }) =>
      guard(async () => {
        await client.stopContainer({ containerId: input.containerId, timeout: input.timeoutSeconds }, { signal });
        const st = await client.containerStatus({ containerId: input.containerId }, { signal });
        const status = st.status ? toInstanceStatus(st.status) : { id: input.containerId, state: 'exited' as const };
        return { ...status, finishedAt: status.finishedAt ?? clock.now() };
      }),
    ),

    /** purgeInitContainers (sandbox re-creation): every instance, one after another; NotFound is fine. */
    removeContainers: fromPromise<void, RemoveContainersInput>(async ({ input }) => {
      for (const containerId of input.containerIds) {
        await client.removeContainer({ containerId }).catch((err) => {
          if (!(err instanceof CriNotFoundError)) throw err;
        });
      }
    }),

    removeContainer: fromPromise<void, RemoveContainerInput>(async ({ input }) => {
      await client.removeContainer({ containerId: input.containerId }).catch((err) => {
        if (!(err instanceof CriNotFoundError)) throw err;
      });
    }),

    runPodSandbox: fromPromise<RunPodSandboxOutput, RunPodSandboxInput>(({ input, signal }) =>
      guard(async () => {
        const config = generatePodSandboxConfig(input.pod, input.attempt, opts.podLogsDir);
        const res = await client.runPodSandbox({ config }, { signal });
        const st = await client.podSandboxStatus({ podSandboxId: res.podSandboxId }, { signal });
        return { id: res.podSandboxId, config, ip: st.status?.network?.ip ?? '', attempt: input.attempt };
      }),
    ),

    stopPodSandbox: fromPromise<void, SandboxIdInput>(({ input, signal }) =>
      guard(async () => {
        for (const id of [input.sandboxId, ...(input.otherSandboxIds ?? [])]) {
          if (!id) continue;
          await client.stopPodSandbox({ podSandboxId: id }, { signal }).catch((err) => {
            if (!(err instanceof CriNotFoundError)) throw err;
          });
        }
      }),
    ),

    removePodSandbox: fromPromise<void, RemoveSandboxesInput>(({ input, signal }) =>
      guard(async () => {
        for (const id of input.sandboxIds) {
          await client.removePodSandbox({ podSandboxId: id }, { signal }).catch((err) => {
            if (!(err instanceof CriNotFoundError)) throw err;
          });
        }
      }),
    ),
  };
}

export type RuntimeActors = ReturnType<typeof createRuntimeActors>;
