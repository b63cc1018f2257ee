// The pod chart's data: its context, the events it takes and what it emits for the
// manager. The facts it decides from are its own (containers report them).
import type { ActorRefFrom } from 'xstate';
import type { Container, Pod } from '../../src/k8s/types.js';
import type { containerMachine, ContainerConfig, ContainerFacts, ContainerToPodEvent } from '../container/index.js';
import type { NodeAllocatable, NodeUsage, ResizePendingReason, ResizeReport } from '../resize.js';
import type { EventRecord, InstanceStatus, SandboxInfo } from '../types.js';

/** The `meta` of every pod state: the phase the chart's position implies. */
export interface PodStateMeta {
  phase: 'Pending' | 'Running' | 'terminal' | 'terminating';
}

export type ContainerRef = ActorRefFrom<typeof containerMachine>;

export interface PodConfig {
  container: Partial<ContainerConfig>;
  podWorkerRetryMs: number;
  /** KEP-1287: what the node offers pods; a resize beyond it is Infeasible. Absent: no capacity check. */
  node?: NodeAllocatable;
}

/** A resize the allocation manager did not allocate (PodResizePending). */
export interface ResizePendingState {
  reason: ResizePendingReason;
  message: string;
  observedGeneration?: number;
}

export interface PodInput {
  /** Restart counts found in the containers' log directories (calcRestartCountByLogDir). */
  restartCounts?: Record<string, number>;
  pod: Pod;
  now: number;
  config?: Partial<PodConfig>;
}


export interface PodContext {
  pod: Pod;
  podRef: string;
  config: PodConfig;
  now: number;
  sandbox?: SandboxInfo;
  /** Attempt number of the next RunPodSandbox (metadata.attempt). */
  sandboxAttempt: number;
  /** Sandboxes replaced by a re-creation, stopped and removed with the pod. */
  oldSandboxIds: string[];
  refs: Record<string, ContainerRef>;
  /** Next init container to run (index into spec.initContainers). */
  initIndex: number;
  /** Next app container to start (index into spec.containers). */
  appIndex: number;
  /** Container names already started once (ephemeral containers never restart). */
  startedOnce: string[];
  deletion?: { gracePeriodOverride?: number; force: boolean };
  /** Set once the pod reached a terminal phase without being deleted. */
  finished: boolean;
  retryAt?: number;
  lastError?: string;
  /** Every instance each container reported creating (purgeInitContainers removes the init ones). */
  instanceIds: Record<string, string[]>;
  /** KillContainerError results of the current killPod, in the order they were reported. */
  killFailures: { container: string; error: string }[];
  /** StopPodSandbox's failure in the current killPod (KillPodSandboxError). */
  sandboxKillFailure?: { podUid: string; error: string };
  /** spec.activeDeadlineSeconds as an absolute deadline (epoch ms) from the pod's start. */
  activeDeadlineAt?: number;
  /** The kubelet evicted the pod (active deadline): phase Failed with this reason and message. */
  evicted?: { reason: string; message: string };
  /** KEP-5532: a RestartAllContainers restart runs (true) or ran (false); absent if it never did. */
  allContainersRestarting?: boolean;
  restartCounts?: Record<string, number>;
  /** What each container last reported of itself (CONTAINER.FACTS): the pod's guards read this, never a child. */
  containers: Record<string, ContainerFacts>;
  /** KEP-1287: containers whose in-place resize is under way or failed, as they reported it (CONTAINER.RESIZE). */
  resizes?: Record<string, ResizeReport>;
  /** KEP-1287: the last edit's resize was not allocated (Infeasible): why, for PodResizePending. */
  resizePending?: ResizePendingState;
  /** While a resize is pending: the resources each container keeps (the allocated ones), by name. */
  heldResources?: Record<string, Container['resources']>;
}

export type PodEvent =
  | ContainerToPodEvent
  | { type: 'DELETE'; gracePeriodSeconds?: number; force?: boolean; at: number }
  /** A spec edit; `nodeUsed`: what the node's other pods hold, for a resize's Deferred check (KEP-1287). */
  | { type: 'UPDATE'; pod: Pod; nodeUsed?: NodeUsage; at: number }
  /** The node's room may have changed (a pod removed or resized): a Deferred resize is judged again. */
  | { type: 'RESIZE.RETRY'; nodeUsed: NodeUsage; at: number }
  | { type: 'RUNTIME.CONTAINER'; name: string; status: InstanceStatus; at: number }
  | { type: 'RUNTIME.SANDBOX'; sandboxId: string; ready: boolean; at: number }
  /** A PLEG event with nothing to forward (a container created or started): the pod is synced. */
  | { type: 'RUNTIME.SYNC'; at: number }
  | { type: 'PROBE.RESULT'; name: string; probe: 'liveness' | 'readiness' | 'startup'; result: 'success' | 'failure'; output?: string; at: number }
  | { type: 'RESUME'; at: number };

/** Emitted for the manager: Kubernetes events, stamped and counted there. */
export type PodEmitted =
  | { type: 'k8s.event'; event: EventRecord }
  /** A probe's thresholded result changed (for embedders' probe streams). */
  | { type: 'probe.result'; container: string; probe: 'liveness' | 'readiness' | 'startup'; result: 'success' | 'failure'; output?: string; at: number };
