// The contract between the charts (machines/) and the actors that do their
// I/O (src/actors/). Machines name these actors in setup({ actors }); an
// embedder swaps any of them with machine.provide({ actors }).
import { goCodeName, goPullErrorString, goStatusString } from '../src/cri/go-status.js';
import type { PodSandboxConfig } from '../src/cri/types.js';
import type { Container, EventType, LifecycleHandler, Pod } from '../src/k8s/types.js';
import type { RuntimeState } from './restart-policy.js';

/** A running pod sandbox, as RunPodSandbox + PodSandboxStatus describe it. */
export interface SandboxInfo {
  id: string;
  config: PodSandboxConfig;
  /** Pod IP (the embedded runtime shares the host network: 127.0.0.1). */
  ip: string;
  attempt: number;
}

/** One runtime instance of a container; times are epoch milliseconds. */
export interface InstanceStatus {
  id: string;
  state: RuntimeState;
  exitCode?: number;
  reason?: string;
  message?: string;
  createdAt?: number;
  startedAt?: number;
  finishedAt?: number;
  imageRef?: string;
}

/** An event the kubelet would record, before the recorder stamps and counts it. */
export interface EventRecord {
  type: EventType;
  reason: string;
  message: string;
  /** Absent for pod-level events. */
  fieldPath?: string;
}

// ---------------------------------------------------------------- actor I/O

export interface InspectImageInput { image: string }
export interface InspectImageOutput { present: boolean; imageRef?: string; size?: number }

export interface PullImageInput { image: string; sandbox?: SandboxInfo }
export interface PullImageOutput { imageRef: string; size: number; pullMs: number; totalMs: number }

export interface CreateContainerInput {
  pod: Pod;
  container: Container;
  fieldPath: string;
  sandbox: SandboxInfo;
  restartCount: number;
  imageRef?: string;
}
export interface CreateContainerOutput { containerId: string }

export interface StartContainerInput { containerId: string }
export interface StartContainerOutput { startedAt: number }

export type HookName = 'PostStart' | 'PreStop';
export interface RunHandlerInput {
  pod: Pod;
  container: Container;
  containerId: string;
  hook: HookName;
  handler: LifecycleHandler;
  podIP: string;
}
/** Timings let the chart deduct preStop's whole seconds from the grace period. */
export interface RunHandlerOutput { startedAt: number; finishedAt: number }

export interface StopContainerInput { containerId: string; timeoutSeconds: number }
/** The instance as the runtime reports it once stopped. */
export type StopContainerOutput = InstanceStatus;

export interface RemoveContainerInput { containerId: string }

export interface RunPodSandboxInput { pod: Pod; attempt: number }
export type RunPodSandboxOutput = SandboxInfo;

export interface SandboxIdInput {
  sandboxId: string;
  /** killPodWithSyncResult stops every sandbox of the pod: the earlier ones too (NotFound ignored). */
  otherSandboxIds?: string[];
}
export interface RemoveSandboxesInput { sandboxIds: string[] }
/** purgeInitContainers: RemoveContainer for each (NotFound ignored). */
export interface RemoveContainersInput { containerIds: string[] }

/** Errors thrown by actors carry the runtime's message and, for hooks, the full hook message. */
export interface ActorErrorShape {
  message: string;
  /**
   * CRI status details when the error came from the runtime: Go's
   * `s.Message()`, the bare text CreateContainer's and StartContainer's
   * `Error: <msg>` (and their waiting messages) use.
   */
  details?: string;
  /**
   * Go's `%v` of a CRI error, `rpc error: code = <Code> desc = <details>`
   * (client-side deadlines read `desc = context deadline exceeded`), for the
   * messages the kubelet formats with %v: Failed to pull image (see
   * `pullError`), FailedCreatePodSandBox, FailedPodSandBoxStatus,
   * KillContainerError / FailedKillPod, InspectFailed. Absent for errors that
   * did not come from the runtime.
   */
  grpc?: string;
  /**
   * `%v` of a failed PullImage as cri-client returns it: like `grpc`, except
   * that an Unknown status is reduced to its message. This is the text of
   * `Failed to pull image "<img>": <pullError>` and the ErrImagePull waiting message.
   */
  pullError?: string;
  /** Go's name of the gRPC code (`NotFound`, `DeadlineExceeded`, ...) of a CRI error. */
  code?: string;
  /** The CRI method that failed (`RuntimeService/PodSandboxStatus`, ...). */
  method?: string;
  /** When the failure was observed (epoch ms). */
  at?: number;
  /** Set by NotFound errors from the runtime. */
  notFound?: boolean;
}

export function errorInfo(err: unknown): ActorErrorShape {
  if (err && typeof err === 'object') {
    const e = err as {
      message?: unknown;
      details?: unknown;
      at?: unknown;
      name?: unknown;
      notFound?: unknown;
      code?: unknown;
      method?: unknown;
      goString?: unknown;
      goPullString?: unknown;
    };
    const details = typeof e.details === 'string' ? e.details : undefined;
    // A CriError (or one that lost its prototype in a snapshot): numeric code + details.
    const cri = typeof e.code === 'number' && details !== undefined && typeof e.method === 'string';
    const out: ActorErrorShape = {
      message: typeof e.message === 'string' ? e.message : String(err),
      details,
      at: typeof e.at === 'number' ? e.at : undefined,
      notFound: e.notFound === true || e.name === 'CriNotFoundError',
    };
    if (cri) {
      const code = e.code as number;
      out.grpc = typeof e.goString === 'string' ? e.goString : goStatusString(code, details);
      out.pullError = typeof e.goPullString === 'string' ? e.goPullString : goPullErrorString(code, details);
      out.code = goCodeName(code);
      out.method = e.method as string;
    }
    return out;
  }
  return { message: String(err) };
}
