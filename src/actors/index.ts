// The actors behind the charts' services, over the CRI client. Each is a small
// abortable fromPromise: leaving a state aborts its signal, which cancels the
// gRPC call. They are idempotent enough to be re-run after a snapshot restore
// (a restore restarts invoked actors).
import { fromPromise } from 'xstate';
import type { CriClient } from '../cri/client.js';
import { CriNotFoundError } from '../cri/errors.js';
import type { ContainerStatus } from '../cri/types.js';
import { realClock, type Clock } from '../clock.js';
import { generateContainerConfig, generatePodSandboxConfig } from '../kuberuntime/config.js';
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
  client: CriClient;
  clock?: Clock;
  /** Root of the pod log directories (the kubelet's /var/log/pods). */
  podLogsDir: string;
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

    createContainer: fromPromise<CreateContainerOutput, CreateContainerInput>(({ input, signal }) =>
      guard(async () => {
        const config = generateContainerConfig(input.pod, input.container, input.restartCount, input.container.image);
        const res = await client.createContainer(
          { podSandboxId: input.sandbox.id, config, sandboxConfig: input.sandbox.config },
          { signal },
        );
        return { containerId: res.containerId };
      }),
    ),

    startContainer: fromPromise<StartContainerOutput, StartContainerInput>(({ input, signal }) =>
      guard(async () => {
        await client.startContainer({ containerId: input.containerId }, { signal });
        return { startedAt: clock.now() };
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
        if (!input.sandboxId) return;
        await client.stopPodSandbox({ podSandboxId: input.sandboxId }, { signal }).catch((err) => {
          if (!(err instanceof CriNotFoundError)) throw err;
        });
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
