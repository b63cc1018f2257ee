// Pod phase and kubelet-owned pod conditions (semantics §11), pure.
// Mirrors kubelet getPhase (kubelet_pods.go, ContainerRestartRules gate off as in 1.34
// defaults) and pkg/kubelet/status/generate.go.
import type { ContainerStatus, Pod, PodCondition, PodConditionType, PodPhase } from '../src/k8s/types.js';
import { rfc3339 } from '../src/k8s/format.js';
import {
  ConditionReason,
  incompleteStatusMessage,
  unknownStatusMessage,
  unreadyStatusMessage,
  WaitingReason,
} from '../src/k8s/messages.js';
import { containerShouldRestart, isInitContainerFailed, isSidecar, podRestartPolicy } from './restart-policy.js';
import { DEFAULT_FEATURE_GATES, type FeatureGates } from './features.js';

/** A terminated init container failed: non-zero, or OOMKilled even with exit 0 (the one rule, restart-policy.ts). */
function initTerminationFailed(t: { exitCode: number; reason?: string }): boolean {
  return isInitContainerFailed({ state: 'exited', exitCode: t.exitCode, reason: t.reason });
}


export function isTerminalPhase(phase: PodPhase | undefined): phase is 'Succeeded' | 'Failed' {
  return phase === 'Succeeded' || phase === 'Failed';
}

/** Default waiting reason before a container has any state: PodInitializing when the pod has init containers. */
export function defaultWaitingReason(pod: Pick<Pod, 'spec'>): string {
  return (pod.spec.initContainers?.length ?? 0) > 0 ? WaitingReason.PodInitializing : WaitingReason.ContainerCreating;
}

function byName(statuses: readonly ContainerStatus[]): Map<string, ContainerStatus> {
  const m = new Map<string, ContainerStatus>();
  for (const s of statuses) m.set(s.name, s);
  return m;
}

/** kubecontainer.HasAnyRegularContainerStarted over API statuses: a regular container running or terminated. */
export function hasAnyRegularContainerStarted(pod: Pick<Pod, 'spec'>, statuses: readonly ContainerStatus[]): boolean {
  const names = new Set(pod.spec.containers.map((c) => c.name));
  return statuses.some((s) => names.has(s.name) && (!!s.state.running || !!s.state.terminated));
}

export interface PhaseOptions {
  /** The pod worker has decided the pod is terminal (deleted/evicted/all done): no more restarts. */
  podIsTerminal?: boolean;
  /**
   * HasAnyActiveRegularContainerStarted: a regular container of the current sandbox is running.
   * Defaults to "some regular container status is running".
   */
  podHasInitialized?: boolean;
  /** Previous phase: a pod never leaves Failed/Succeeded. */
  previousPhase?: PodPhase;
  /** Kubelet feature gates (ContainerRestartRules changes the stopped-pod rule). */
  gates?: Pick<FeatureGates, 'ContainerRestartRules'>;
  /**
   * Regular containers on their way to a new instance (waiting for it, or shown terminated
   * ContainerStatusUnknown while the UNKNOWN one is killed). Under Never that only happens
   * after an UNKNOWN or CREATED instance (ShouldContainerBeRestarted says yes whatever the
   * policy): such a container has not stopped for good, so it counts as running and the
   * pod does not turn Failed meanwhile (a 1.34 kubelet's status would flap to Failed; see
   * the README's improvements).
   */
  restarting?: ReadonlySet<string>;
}

/** kubelet getPhase, plus the "never leave a terminal phase" rule of generateAPIPodStatus. */
export function getPhase(
  pod: Pick<Pod, 'spec'>,
  initStatuses: readonly ContainerStatus[],
  statuses: readonly ContainerStatus[],
  opts: PhaseOptions = {},
): PodPhase {
  if (isTerminalPhase(opts.previousPhase)) return opts.previousPhase;
  const spec = pod.spec;
  const restartPolicy = podRestartPolicy(pod);
  const info = byName([...statuses, ...initStatuses]);
  const podHasInitialized =
    opts.podHasInitialized ?? spec.containers.some((c) => !!info.get(c.name)?.state.running);

  let pendingRegularInit = 0;
  let pendingSidecar = 0;
  let failedInitialization = 0;
  for (const c of spec.initContainers ?? []) {
    if (isSidecar(c)) continue;
    const s = info.get(c.name);
    if (!s) {
      pendingRegularInit++;
    } else if (s.state.running) {
      pendingRegularInit++;
    } else if (s.state.terminated) {
      if (initTerminationFailed(s.state.terminated)) failedInitialization++;
    } else if (s.state.waiting) {
      if (s.lastState?.terminated) {
        if (initTerminationFailed(s.lastState.terminated)) failedInitialization++;
      } else pendingRegularInit++;
    } else pendingRegularInit++;
  }

  let unknown = 0;
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const c of spec.initContainers ?? []) {
    if (!isSidecar(c)) continue;
    const s = info.get(c.name);
    if (!s) {
      unknown++;
    } else if (s.state.running) {
      if (!s.started) pendingSidecar++;
      running++;
    } else if (s.state.terminated) {
      // terminated sidecars do not count towards the phase
    } else if (s.state.waiting) {
      if (!s.lastState?.terminated) {
        pendingSidecar++;
        waiting++;
      }
    } else {
      pendingSidecar++;
      unknown++;
    }
  }

  for (const c of spec.containers) {
    const s = info.get(c.name);
    if (!s) {
      unknown++;
    } else if (s.state.running) {
      running++;
    } else if (restartPolicy === 'Never' && opts.restarting?.has(c.name)) {
      running++;
    } else if (s.state.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state.waiting) {
      if (s.lastState?.terminated) stopped++;
      else waiting++;
    } else unknown++;
  }

  if (failedInitialization > 0 && restartPolicy === 'Never') return 'Failed';

  if (pendingRegularInit > 0 || (pendingSidecar > 0 && !podHasInitialized) || waiting > 0) return 'Pending';
  if (running > 0 && unknown === 0) return 'Running';
  if (running === 0 && stopped > 0 && unknown === 0) {
    if (opts.podIsTerminal) return stopped === succeeded ? 'Succeeded' : 'Failed';
    if ((opts.gates ?? DEFAULT_FEATURE_GATES).ContainerRestartRules) {
      // KEP-5307: the pod runs on while any stopped container will be restarted by its own
      // policy and rules (or the pod's); otherwise it is done. Without container-level
      // fields this is the Always / OnFailure / Never table below.
      const willRestart = spec.containers.some((c) => {
        const s = info.get(c.name);
        // Waiting with a last termination: a new instance is already on its way.
        if (s?.state.waiting) return true;
        const t = s?.state.terminated;
        return !!t && containerShouldRestart(c, restartPolicy, t.exitCode);
      });
      if (willRestart) return 'Running';
      return stopped === succeeded ? 'Succeeded' : 'Failed';
    }
    if (restartPolicy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (restartPolicy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

// ---------------------------------------------------------------------------
// Conditions

type Cond = Omit<PodCondition, 'lastTransitionTime' | 'lastProbeTime'>;

function containersReady(
  pod: Pick<Pod, 'spec'>,
  info: Map<string, ContainerStatus>,
  phase: PodPhase,
  type: 'ContainersReady' | 'Ready',
): Cond {
  const unknownC: string[] = [];
  const unready: string[] = [];
  for (const c of pod.spec.initContainers ?? []) {
    if (!isSidecar(c)) continue;
    const s = info.get(c.name);
    if (!s) unknownC.push(c.name);
    else if (!s.ready) unready.push(c.name);
  }
  for (const c of pod.spec.containers) {
    const s = info.get(c.name);
    if (!s) unknownC.push(c.name);
    else if (!s.ready) unready.push(c.name);
  }
  if (phase === 'Succeeded' && unknownC.length === 0) return { type, status: 'False', reason: ConditionReason.PodCompleted };
  if (phase === 'Failed') return { type, status: 'False', reason: ConditionReason.PodFailed };
  const msgs: string[] = [];
  if (unknownC.length) msgs.push(unknownStatusMessage(unknownC));
  if (unready.length) msgs.push(unreadyStatusMessage(unready));
  if (msgs.length) return { type, status: 'False', reason: ConditionReason.ContainersNotReady, message: msgs.join(', ') };
  return { type, status: 'True' };
}

function initialized(pod: Pick<Pod, 'spec'>, info: Map<string, ContainerStatus>, all: readonly ContainerStatus[], phase: PodPhase): Cond {
  const type = 'Initialized';
  const unknownC: string[] = [];
  const incomplete: string[] = [];
  for (const c of pod.spec.initContainers ?? []) {
    const s = info.get(c.name);
    if (!s) {
      unknownC.push(c.name);
      continue;
    }
    if (isSidecar(c)) {
      if (!s.started) incomplete.push(c.name);
      continue;
    }
    if (!s.state.terminated || s.state.terminated.exitCode !== 0) incomplete.push(c.name);
  }
  if (phase === 'Succeeded' && unknownC.length === 0) return { type, status: 'True', reason: ConditionReason.PodCompleted };
  if (hasAnyRegularContainerStarted(pod, all)) return { type, status: 'True' };
  const msgs: string[] = [];
  if (unknownC.length) msgs.push(unknownStatusMessage(unknownC));
  if (incomplete.length) msgs.push(incompleteStatusMessage(incomplete));
  if (msgs.length) return { type, status: 'False', reason: ConditionReason.ContainersNotInitialized, message: msgs.join(', ') };
  return { type, status: 'True' };
}

export interface ConditionOptions {
  /** Phase computed for this status; computed with getPhase (non-terminal pod) when absent. */
  phase?: PodPhase;
  /** A sandbox exists and is ready with networking configured (PodReadyToStartContainers). */
  sandboxReady: boolean;
  /** Conditions of the previous status: lastTransitionTime is kept when the status is unchanged. */
  previous?: readonly PodCondition[];
  /** Clock for new transitions (defaults to Date.now()). */
  nowMs?: number;
  /** KEP-5532: a RestartAllContainers restart is running (true), ran before (false), never ran (absent). */
  allContainersRestarting?: boolean;
}

/**
 * Kubelet-owned conditions in the order generateAPIPodStatus appends them:
 * PodReadyToStartContainers, Initialized, Ready, ContainersReady, PodScheduled (always True).
 */
export function podConditions(
  pod: Pick<Pod, 'spec'>,
  initStatuses: readonly ContainerStatus[],
  statuses: readonly ContainerStatus[],
  opts: ConditionOptions,
): PodCondition[] {
  const all = [...initStatuses, ...statuses];
  const info = byName(all);
  const phase = opts.phase ?? getPhase(pod, initStatuses, statuses);
  const conds: Cond[] = [
    { type: 'PodReadyToStartContainers', status: opts.sandboxReady ? 'True' : 'False' },
    initialized(pod, info, all, phase),
    containersReady(pod, info, phase, 'Ready'),
    containersReady(pod, info, phase, 'ContainersReady'),
    { type: 'PodScheduled', status: 'True' },
  ];
  if (opts.allContainersRestarting !== undefined) {
    conds.push(
      opts.allContainersRestarting
        ? { type: 'AllContainersRestarting', status: 'True', reason: ConditionReason.ContainerExited }
        : { type: 'AllContainersRestarting', status: 'False' },
    );
  }
  const prev = new Map<PodConditionType, PodCondition>();
  for (const p of opts.previous ?? []) prev.set(p.type, p);
  const now = rfc3339(opts.nowMs ?? Date.now());
  return conds.map((c) => {
    const old = prev.get(c.type);
    const lastTransitionTime = old && old.status === c.status && old.lastTransitionTime ? old.lastTransitionTime : now;
    const out: PodCondition = { type: c.type, status: c.status, lastProbeTime: null, lastTransitionTime };
    if (c.reason) out.reason = c.reason;
    if (c.message) out.message = c.message;
    return out;
  });
}
