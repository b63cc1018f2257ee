// PodStatus derived from the charts (kubelet generateAPIPodStatus): each
// container's state comes from the `meta` of its active state, its history
// from the chart's context; phase and conditions from machines/phase.ts.
import type { SnapshotFrom } from 'xstate';
import type { containerMachine } from '../machines/container/index.js';
import type { podMachine } from '../machines/pod/index.js';
import { defaultWaitingReason, getPhase, isTerminalPhase, podConditions } from '../machines/phase.js';
import type { InstanceStatus } from '../machines/types.js';
import { rfc3339 } from './k8s/format.js';
import { CONTAINER_STATUS_UNKNOWN_EXIT_CODE, MSG_CONTAINER_UNKNOWN_ON_TERMINATION, TerminatedReason } from './k8s/messages.js';
import { getPodQOS } from './kuberuntime/qos.js';
import { allocatedResources, containerStatusResources } from './kuberuntime/resources.js';
import { resizeConditions } from '../machines/resize.js';
import { containerStatusStopSignal } from './kuberuntime/stop-signal.js';
import type { Container, ContainerState, ContainerStatus, PodCondition, PodPhase, PodStatus } from './k8s/types.js';

type ContainerSnapshot = SnapshotFrom<typeof containerMachine>;
type PodSnapshot = SnapshotFrom<typeof podMachine>;

/**
 * The meta of the deepest active state that has one: a waiting reason lives on the
 * state that waits (e.g. `Waiting.CrashLoopBackOff`), a status on the step around it.
 */
export function activeStateMeta<TMeta>(snapshot: { getMeta(): Record<string, TMeta | undefined> }): Partial<TMeta> {
  let best: TMeta | undefined;
  let depth = -1;
  for (const [id, meta] of Object.entries(snapshot.getMeta())) {
    if (meta === undefined) continue;
    const d = id.split('.').length;
    if (d > depth) {
      best = meta;
      depth = d;
    }
  }
  return best ?? {};
}

export function topState(value: unknown): string {
  return typeof value === 'string' ? value : Object.keys(value as object)[0] ?? '';
}

function terminatedState(t: InstanceStatus, runtimeName: string): ContainerState {
  return {
    terminated: {
      exitCode: t.exitCode ?? 0,
      reason: t.reason,
      message: t.message,
      startedAt: t.startedAt ? rfc3339(t.startedAt) : undefined,
      finishedAt: t.finishedAt ? rfc3339(t.finishedAt) : undefined,
      containerID: `${runtimeName}://${t.id}`,
    },
  };
}

/** One container's v1 ContainerStatus from its actor snapshot. */
export function containerStatusFrom(snap: ContainerSnapshot, runtimeName: string): ContainerStatus {
  const cx = snap.context;
  const meta = activeStateMeta(snap);
  const c: Container = cx.container;
  let state: ContainerState;
  let lastState: ContainerState = cx.lastTermination ? terminatedState(cx.lastTermination, runtimeName) : {};
  // convertToAPIContainerStatuses: the runtime says UNKNOWN and the last status said running:
  // the container ran and is gone, shown terminated (137) with its restart counted, until the
  // kill computePodActions ordered ends and a new instance is on its way.
  const unknownAfterRunning = meta.status === 'running' && !!cx.instance && cx.kill?.unknownState === true;
  const running = meta.status === 'running' && cx.instance && !unknownAfterRunning;
  if (unknownAfterRunning) {
    state = { terminated: { exitCode: CONTAINER_STATUS_UNKNOWN_EXIT_CODE, reason: TerminatedReason.ContainerStatusUnknown, message: MSG_CONTAINER_UNKNOWN_ON_TERMINATION } };
  } else if (running) {
    state = { running: { startedAt: cx.instance!.startedAt ? rfc3339(cx.instance!.startedAt) : undefined } };
  } else if (meta.status === 'terminated' && cx.lastTermination) {
    state = terminatedState(cx.lastTermination, runtimeName);
    lastState = cx.previousTermination ? terminatedState(cx.previousTermination, runtimeName) : {};
  } else {
    // Waiting: the state's own reason; while a start attempt is on its way, the kubelet's
    // reason cache (the last failed start) if there is one, else the pod-wide default
    // (kubelet_pods.go convertToAPIContainerStatuses).
    const waiting: { reason?: string; message?: string } = {};
    if (meta.reason === undefined || meta.reason === 'ContainerCreating') {
      if (cx.lastStartError) {
        waiting.reason = cx.lastStartError.reason;
        if (cx.lastStartError.message) waiting.message = cx.lastStartError.message;
      } else {
        waiting.reason = defaultWaitingReason(cx.pod);
      }
    } else {
      // A failed pull's reason is classified (ErrImagePull, RegistryUnavailable, SignatureValidationFailed).
      const reason = meta.reason === 'ErrImagePull' ? cx.lastPullError?.reason ?? meta.reason : meta.reason;
      if (reason) waiting.reason = reason;
      if (reason && cx.waitingMessage && reason !== defaultWaitingReason(cx.pod)) waiting.message = cx.waitingMessage;
    }
    state = { waiting };
  }
  const current = cx.instance ?? cx.lastTermination;
  // prober_manager.go UpdatePodStatus: a regular (non-restartable) init container is ready
  // only once it terminated with exit code 0; it is not ready while it runs.
  const ready = cx.role === 'init' ? state.terminated?.exitCode === 0 : !!running && cx.ready;
  const status: ContainerStatus = {
    name: c.name,
    state,
    lastState,
    ready,
    started: !!running && cx.started,
    restartCount: unknownAfterRunning ? cx.restartCount + 1 : cx.restartCount,
    image: c.image,
    imageID: cx.imageRef ?? '',
  };
  if (current) status.containerID = `${runtimeName}://${current.id}`;
  // KEP-1287 (convertToAPIContainerStatuses): allocatedResources are the admitted requests (a
  // static pod's spec, admitted as it is); a running container's resources are the
  // allocated ones with cpu and the memory limit as the runtime took them.
  const resizable = cx.config.featureGates.InPlacePodVerticalScaling;
  const allocated = resizable ? allocatedResources(c) : undefined;
  if (allocated) status.allocatedResources = allocated;
  if (running && resizable) {
    const resources = containerStatusResources(cx.actuated?.resources ?? c.resources, cx.actuated?.linux);
    if (resources) status.resources = resources;
  }
  // KEP-4960: the effective stop signal, with ContainerStopSignals on.
  const stopSignal = containerStatusStopSignal(c, cx.config.featureGates);
  if (stopSignal) status.stopSignal = stopSignal as ContainerStatus['stopSignal'];
  return status;
}

export interface PodStatusOptions {
  runtimeName: string;
  now: number;
  startTime?: number;
  previous?: PodStatus;
}

/** The pod's v1 status from the pod actor and its container actors. */
export function podStatusFrom(snap: PodSnapshot, opts: PodStatusOptions): PodStatus {
  const cx = snap.context;
  const pod = cx.pod;
  const statusOf = (name: string): ContainerStatus | undefined => {
    const ref = cx.refs[name];
    return ref ? containerStatusFrom(ref.getSnapshot(), opts.runtimeName) : undefined;
  };
  const placeholder = (c: Container): ContainerStatus => ({
    name: c.name,
    state: { waiting: { reason: defaultWaitingReason(pod) } },
    lastState: {},
    ready: false,
    started: false,
    restartCount: 0,
    image: c.image,
    imageID: '',
  });
  const initStatuses = (pod.spec.initContainers ?? []).map((c) => statusOf(c.name) ?? placeholder(c));
  const statuses = pod.spec.containers.map((c) => statusOf(c.name) ?? placeholder(c));
  const ephemeral = (pod.spec.ephemeralContainers ?? []).map((c) => statusOf(c.name) ?? placeholder(c));
  const top = topState(snap.value);
  const podIsTerminal = cx.finished || !!cx.deletion || top === 'Removed' || top === 'Removing';
  // Containers on their way to a new instance: waiting for it, or an UNKNOWN instance shown
  // terminated ContainerStatusUnknown while its kill runs (getPhase's `restarting`).
  const restarting = new Set<string>();
  for (const s of statuses) {
    const ccx = cx.refs[s.name]?.getSnapshot().context;
    if ((s.state.waiting && ccx?.restarting) || (s.state.terminated && ccx?.kill?.unknownState)) restarting.add(s.name);
  }
  let phase: PodPhase = getPhase(pod, initStatuses, statuses, { podIsTerminal, previousPhase: opts.previous?.phase, gates: cx.config.container.featureGates, restarting });
  // Since 1.27 a deleted pod reports a terminal phase before it goes away.
  if (podIsTerminal && (top === 'Removed' || top === 'Removing') && !isTerminalPhase(phase)) {
    phase = statuses.every((s) => s.state.terminated?.exitCode === 0) ? 'Succeeded' : 'Failed';
  }
  // The active-deadline handler's eviction (generateAPIPodStatus: ShouldEvict sets Failed + reason).
  if (cx.evicted) phase = 'Failed';
  // KEP-5532: while every container restarts, the pod goes back to Pending as the kubelet's does.
  if (cx.allContainersRestarting && !podIsTerminal && !isTerminalPhase(opts.previous?.phase)) phase = 'Pending';
  const sandboxReady = !!cx.sandbox && !podIsTerminal;
  const conditions: PodCondition[] = podConditions(pod, initStatuses, statuses, {
    phase,
    sandboxReady,
    previous: opts.previous?.conditions,
    nowMs: opts.now,
    allContainersRestarting: cx.allContainersRestarting,
  });
  // KEP-1287: PodResizePending (the pod's allocation) and PodResizeInProgress (what the containers reported).
  conditions.push(...resizeConditions(cx.resizes, cx.resizePending, { observedGeneration: pod.metadata.generation, previous: opts.previous?.conditions, now: rfc3339(opts.now) }));
  const status: PodStatus = { phase, conditions, qosClass: getPodQOS(pod) };
  if (cx.evicted) {
    status.reason = cx.evicted.reason;
    status.message = cx.evicted.message;
  }
  if (cx.sandbox?.ip) {
    status.podIP = cx.sandbox.ip;
    status.podIPs = [{ ip: cx.sandbox.ip }];
    status.hostIP = '127.0.0.1';
  }
  if (opts.startTime) status.startTime = rfc3339(opts.startTime);
  if (initStatuses.length) status.initContainerStatuses = initStatuses;
  status.containerStatuses = statuses;
  if (ephemeral.length) status.ephemeralContainerStatuses = ephemeral;
  return status;
}
