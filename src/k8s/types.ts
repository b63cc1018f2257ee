// Kubernetes core/v1 shapes for the subset of Pod that statelet supports.
// Field names and nesting follow the v1 API so manifests and `kubectl get -o yaml`
// output can be exchanged verbatim. Timestamps are RFC3339 strings, as metav1.Time
// serialises them (second precision, UTC).

export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';
export type ContainerRestartPolicy = 'Always';
export type PullPolicy = 'Always' | 'IfNotPresent' | 'Never';
export type Protocol = 'TCP' | 'UDP' | 'SCTP';
export type URIScheme = 'HTTP' | 'HTTPS';
export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';
export type ConditionStatus = 'True' | 'False' | 'Unknown';

/** A port given either as a number or as a name (or numeric string), like intstr.IntOrString. */
export type IntOrString = number | string;

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Set together with deletionTimestamp when the pod is being deleted. */
  deletionGracePeriodSeconds?: number;
  deletionTimestamp?: string;
  creationTimestamp?: string;
  generation?: number;
}

export interface EnvVar {
  name: string;
  value?: string;
}

export interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol?: Protocol;
  hostPort?: number;
  hostIP?: string;
}

export interface ExecAction {
  command?: string[];
}

export interface HTTPHeader {
  name: string;
  value: string;
}

export interface HTTPGetAction {
  path?: string;
  port: IntOrString;
  host?: string;
  scheme?: URIScheme;
  httpHeaders?: HTTPHeader[];
}

export interface TCPSocketAction {
  port: IntOrString;
  host?: string;
}

export interface SleepAction {
  seconds: number;
}

export interface GRPCAction {
  port: number;
  service?: string;
}

/** lifecycle.postStart / lifecycle.preStop. tcpSocket is deprecated: accepted by the API, fails at run time. */
export interface LifecycleHandler {
  exec?: ExecAction;
  httpGet?: HTTPGetAction;
  sleep?: SleepAction;
  tcpSocket?: TCPSocketAction;
}

export interface Lifecycle {
  postStart?: LifecycleHandler;
  preStop?: LifecycleHandler;
}

export interface Probe {
  exec?: ExecAction;
  httpGet?: HTTPGetAction;
  tcpSocket?: TCPSocketAction;
  grpc?: GRPCAction;
  initialDelaySeconds?: number;
  timeoutSeconds?: number;
  periodSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
  /** Liveness/startup only: grace used when this probe's failure kills the container. */
  terminationGracePeriodSeconds?: number;
}

export type ProbeType = 'liveness' | 'readiness' | 'startup';

export interface Container {
  name: string;
  image: string;
  imagePullPolicy?: PullPolicy;
  command?: string[];
  args?: string[];
  workingDir?: string;
  env?: EnvVar[];
  ports?: ContainerPort[];
  lifecycle?: Lifecycle;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  /** Init containers only; 'Always' makes the init container a sidecar (KEP-753). */
  restartPolicy?: ContainerRestartPolicy;
  terminationMessagePath?: string;
  terminationMessagePolicy?: 'File' | 'FallbackToLogsOnError';
}

/** EphemeralContainer shares Container's fields (probes/lifecycle/ports are rejected by validation). */
export interface EphemeralContainer extends Container {
  targetContainerName?: string;
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  ephemeralContainers?: EphemeralContainer[];
  restartPolicy?: RestartPolicy;
  terminationGracePeriodSeconds?: number;
  hostNetwork?: boolean;
  nodeName?: string;
}

export interface ContainerStateWaiting {
  reason?: string;
  message?: string;
}

export interface ContainerStateRunning {
  startedAt?: string;
}

export interface ContainerStateTerminated {
  exitCode: number;
  signal?: number;
  reason?: string;
  message?: string;
  startedAt?: string;
  finishedAt?: string;
  containerID?: string;
}

/** At most one member is set (an empty object means "no state", like the API). */
export interface ContainerState {
  waiting?: ContainerStateWaiting;
  running?: ContainerStateRunning;
  terminated?: ContainerStateTerminated;
}

export interface ContainerStatus {
  name: string;
  state: ContainerState;
  lastState: ContainerState;
  ready: boolean;
  started?: boolean;
  restartCount: number;
  image: string;
  imageID: string;
  containerID?: string;
}

export type PodConditionType =
  | 'PodScheduled'
  | 'PodReadyToStartContainers'
  | 'Initialized'
  | 'ContainersReady'
  | 'Ready';

export interface PodCondition {
  type: PodConditionType;
  status: ConditionStatus;
  reason?: string;
  message?: string;
  lastProbeTime?: string | null;
  lastTransitionTime?: string;
}

export interface PodIP {
  ip: string;
}

export interface PodStatus {
  phase?: PodPhase;
  conditions?: PodCondition[];
  message?: string;
  reason?: string;
  hostIP?: string;
  podIP?: string;
  podIPs?: PodIP[];
  startTime?: string;
  initContainerStatuses?: ContainerStatus[];
  containerStatuses?: ContainerStatus[];
  ephemeralContainerStatuses?: ContainerStatus[];
}

export interface Pod {
  apiVersion: 'v1';
  kind: 'Pod';
  metadata: ObjectMeta;
  spec: PodSpec;
  status?: PodStatus;
}

export type EventType = 'Normal' | 'Warning';

export interface ObjectReference {
  kind: 'Pod';
  name: string;
  namespace: string;
  uid: string;
  apiVersion?: 'v1';
  /** `spec.containers{c}`, `spec.initContainers{c}`, `spec.ephemeralContainers{c}`; absent for pod-level events. */
  fieldPath?: string;
}

export interface EventSource {
  component: string;
  host?: string;
}

/** core/v1 Event as the kubelet's recorder produces it. */
export interface Event {
  kind: 'Event';
  apiVersion: 'v1';
  metadata: { name: string; namespace: string; uid?: string };
  type: EventType;
  reason: string;
  message: string;
  involvedObject: ObjectReference;
  count: number;
  firstTimestamp: string;
  lastTimestamp: string;
  source?: EventSource;
}

/** Which list of the pod spec a container comes from. */
export type ContainerKind = 'container' | 'init' | 'ephemeral';
