// The container chart's data: its context, the events it takes, what it tells its
// pod, and the kill requests it runs. Plain data, so a snapshot can be persisted.
import type { LinuxContainerResources } from '../../src/cri/types.js';
import type { Container, Pod } from '../../src/k8s/types.js';
import type { BackOffEntry, BackOffPolicy } from '../backoff.js';
import type { KillCause } from '../grace.js';
import type { FeatureGates } from '../features.js';
import type { ContainerRole } from '../restart-policy.js';
import type { ProbeToParentEvent } from '../probe.js';
import type { UpdateContainerResourcesOutput } from '../resize.js';
import type { EventRecord, InstanceStatus, SandboxInfo } from '../types.js';

/** The `meta` of every container state: what status.ts publishes while the chart is there. */
export interface ContainerStateMeta {
  status: 'waiting' | 'running' | 'terminated';
  /** Waiting reason; ContainerCreating stands for the pod's default (PodInitializing with init containers). */
  reason?: string;
}

/** The kubelet's pod-worker requeue after a sync error: 10 s (+ up to 50 % jitter, chosen by the manager). */
export const POD_WORKER_RETRY_MS = 10_000;

/** What happens once a kill completes. */
export type AfterKill =
  /** restart per back-off (liveness/startup failure, definition change, unknown state) */
  | 'restart'
  /** stay terminated (pod deletion, pod end, Never) */
  | 'exit'
  /** wait for the pod's next START (sandbox re-creation) */
  | 'pending'
  /** postStart failed: waiting PostStartHookError, then restart per policy */
  | 'postStartError';

export interface KillRequest {
  cause: KillCause;
  /** Killing event message; default `Stopping container <c>`. */
  message?: string;
  then: AfterKill;
  gracePeriodOverride?: number;
  /** Force deletion: preStop gets at most 1 s and StopContainer timeout 2. */
  force?: boolean;
  /** KEP-5532 RestartAllContainers: killed without preStop. */
  skipPreStop?: boolean;
}

export interface ActiveKill extends KillRequest {
  graceSeconds: number;
  startedAt: number;
  preStopStartedAt?: number;
  preStopElapsedMs: number;
  /**
   * FinishedAt of the newest exited instance when the kill was decided. A kill-and-restart
   * happens inside one kubelet sync whose snapshot still shows the killed instance Running,
   * so doBackOff judges the restart by this earlier instance (facts §8).
   */
  priorExitFinishedAt?: number;
  /** Force deletion arrived while preStop ran: when the last second of the hook began. */
  forcedAt?: number;
  /** Sidecar termination ordering: StopContainer waits for the pod's TURN (kuberuntime_termination_order.go). */
  awaitTurn?: boolean;
  turnGranted?: boolean;
  turnWaitStartedAt?: number;
  turnWaitedMs?: number;
  /**
   * The runtime reported the running instance UNKNOWN (computePodActions kills it first).
   * Until the kill ends the kubelet's status shows it terminated ContainerStatusUnknown,
   * exit 137, restartCount + 1 (kubelet_pods.go convertToAPIContainerStatuses).
   */
  unknownState?: boolean;
}

export interface ContainerConfig {
  backOff: BackOffPolicy;
  imageBackOff: BackOffPolicy;
  /** Delay before retrying a failed sync step that is not a back-off (10–15 s in the kubelet). */
  podWorkerRetryMs: number;
  /** statelet extension: fail a postStart/preStop hook that runs longer than this (0 = no timeout, as the kubelet). */
  hookTimeoutMs: number;
  /** Kubelet feature gates (1.36 defaults). */
  featureGates: FeatureGates;
}

export interface ContainerInput {
  pod: Pod;
  container: Container;
  role: ContainerRole;
  now: number;
  config?: Partial<ContainerConfig>;
  /** The first instance's restart count (from the log directory when the runtime has none, as the kubelet). */
  restartCount?: number;
  /** Spawned by a pod chart: report to it (a container run on its own, e.g. in a graph traversal, has no one to tell). */
  reportsToPod?: boolean;
}

/**
 * What the pod chart needs to know of a container, reported by the container whenever it
 * may change: the pod keeps it in its own context and decides from it (children report,
 * parents remember).
 */
export interface ContainerFacts {
  /** No instance that could be running (not started yet, or terminated). */
  down: boolean;
  /** Terminated and not being restarted. */
  exited: boolean;
  /** Running and its startup probe passed (or it has none). */
  started: boolean;
  /** An instance was created before (a new one is a new attempt). */
  ranBefore: boolean;
  /** The newest termination, if any. */
  lastExit?: { exitCode: number; reason?: string };
}

export interface ContainerContext {
  pod: Pod;
  reportsToPod: boolean;
  podRef: string;
  container: Container;
  hash: string;
  role: ContainerRole;
  fieldPath: string;
  config: ContainerConfig;
  /** Last time the chart heard of (epoch ms), from event `at` fields. */
  now: number;
  sandbox?: SandboxInfo;
  /** Restarts so far; the next instance's CRI metadata.attempt. */
  restartCount: number;
  /** metadata.attempt of the newest instance created (undefined before the first). */
  lastAttempt?: number;
  /**
   * The kubelet's reason cache (kubelet_pods.go, reasonCache): the outcome of the last
   * start attempt that failed, shown as the waiting reason while the next attempt is on
   * its way (the kubelet's worker is blocked in that attempt and publishes nothing newer).
   * A successful start (postStart included) clears it.
   */
  lastStartError?: { reason: string; message?: string };
  /** On the way to a new instance after a restart decision (for the phase: not "stopped"). */
  restarting: boolean;
  /** The current runtime instance, once created. */
  instance?: InstanceStatus;
  /** The newest exited instance (status.lastState / state.terminated). */
  lastTermination?: InstanceStatus;
  /** The exited instance before lastTermination (status.lastState while terminated). */
  previousTermination?: InstanceStatus;
  /** Exited instances older than lastTermination, to be removed (the kubelet keeps the newest one). */
  staleIds: string[];
  imageRef?: string;
  /** The image reference asked of the runtime: the spec's with the default tag applied. */
  imageSpec?: string;
  imageBackOff?: BackOffEntry;
  /** The last failed pull: its classified reason, waiting message, and the `%v` text of the error. */
  lastPullError?: { reason: string; message: string; raw: string };
  backOff?: BackOffEntry;
  /** Absolute deadline of the current CrashLoopBackOff/ImagePullBackOff wait. */
  backOffUntil?: number;
  /** The back-off value shown in the waiting message. */
  backOffMs?: number;
  /** Absolute deadline of the current pod-worker retry. */
  retryAt?: number;
  /** Waiting reason message (kubelet reason cache): the last error's detail. */
  waitingMessage?: string;
  kill?: ActiveKill;
  deleting: boolean;
  /** The deletion's grace override and force flag, once the pod is being deleted. */
  deletion?: { gracePeriodOverride?: number; force: boolean };
  /** startupProbe passed (or none). */
  started: boolean;
  /** readinessProbe passed (or none). */
  ready: boolean;
  pullStartedAt?: number;
  /**
   * KEP-1287: the resources the current instance runs with, as far as the chart knows: the
   * spec's when it was created, then each resize the runtime accepted (`linux` is what
   * UpdateContainerResources was given, which the kubelet reads back as the runtime's view).
   */
  actuated?: { resources: Container['resources']; linux?: LinuxContainerResources };
  /** An in-place resize asked of the runtime and not yet accepted: the resources asked for, and the last error. */
  resize?: { resources: Container['resources']; error?: string };
}

export type ContainerEvent =
  | { type: 'START'; sandbox: SandboxInfo; at: number }
  | { type: 'KILL'; request: KillRequest; at: number }
  | { type: 'DELETE'; gracePeriodOverride?: number; force?: boolean; at: number; awaitTurn?: boolean }
  /** The pod is synced (a PLEG event of another container): failed steps are retried now. */
  | { type: 'SYNC'; at: number }
  /** Sidecar termination ordering: every container this one waits for has stopped. */
  | { type: 'TURN'; at: number }
  /** Sandbox re-creation (purgeInitContainers): forget instances the pod has removed. */
  | { type: 'PURGED'; at: number }
  | { type: 'RUNTIME.STATUS'; status: InstanceStatus; at: number }
  | { type: 'SPEC_UPDATE'; container: Container; at: number }
  /** KEP-1287: a failed UpdateContainerResources is tried again at the next pod sync (the pod-worker retry). */
  | { type: 'RESIZE.RETRY'; at: number }
  /** The spawned `updateContainerResources` actor (id `resize`) answered. */
  | { type: 'xstate.done.actor.resize'; output: UpdateContainerResourcesOutput }
  | { type: 'xstate.error.actor.resize'; error: unknown }
  | ProbeToParentEvent
  | { type: 'RESUME'; at: number };

/** Sent to the pod (the parent) as the container moves. */
export type ContainerToPodEvent =
  | { type: 'CONTAINER.EVENT'; name: string; event: EventRecord }
  | { type: 'CONTAINER.STARTED'; name: string }
  | { type: 'CONTAINER.START_FAILED'; name: string }
  | { type: 'CONTAINER.READY'; name: string; ready: boolean; started: boolean }
  | { type: 'CONTAINER.PROBE'; name: string; probe: 'liveness' | 'readiness' | 'startup'; result: 'success' | 'failure'; output?: string; at: number }
  | { type: 'CONTAINER.EXITED'; name: string; exitCode: number; reason?: string; willRestart: boolean; restartAll?: boolean }
  | { type: 'CONTAINER.STOPPED'; name: string; at: number }
  /** killContainer failed (KillContainerError); `error` is Go's %v of the CRI error. */
  | { type: 'CONTAINER.KILL_FAILED'; name: string; error: string }
  | { type: 'CONTAINER.CREATED'; name: string; containerId: string }
  | { type: 'CONTAINER.FACTS'; name: string; facts: ContainerFacts }
  /** KEP-1287: an in-place resize began (`started`), was accepted by the runtime (`done`) or failed (`failed`, with the error). */
  | { type: 'CONTAINER.RESIZE'; name: string; phase: 'started' | 'done' | 'failed'; error?: string };

export function fieldPathFor(role: ContainerRole, name: string): string {
  const list = role === 'regular' ? 'containers' : role === 'ephemeral' ? 'ephemeralContainers' : 'initContainers';
  return `spec.${list}{${name}}`;
}
