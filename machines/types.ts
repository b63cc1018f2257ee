// The contract between the charts (machines/) and the actors that do their
// I/O (src/actors/). Machines name these actors in setup({ actors }); an
// embedder swaps any of them with machine.provide({ actors }).
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

export interface SandboxIdInput { sandboxId: string }
export interface RemoveSandboxesInput { sandboxIds: string[] }

/** Errors thrown by actors carry the runtime's message and, for hooks, the full hook message. */
export interface ActorErrorShape {
  message: string;
  /** CRI status details when the error came from the runtime. */
  details?: string;
  /** When the failure was observed (epoch ms). */
  at?: number;
  /** Set by NotFound errors from the runtime. */
  notFound?: boolean;
}

export function errorInfo(err: unknown): ActorErrorShape {
  if (err && typeof err === 'object') {
    const e = err as { message?: unknown; details?: unknown; at?: unknown; name?: unknown; notFound?: unknown };
    return {
      message: typeof e.message === 'string' ? e.message : String(err),
      details: typeof e.details === 'string' ? e.details : undefined,
      at: typeof e.at === 'number' ? e.at : undefined,
      notFound: e.notFound === true || e.name === 'CriNotFoundError',
    };
  }
  return { message: String(err) };
}
