// Kubernetes core/v1 types for statelet. The spec types come from the
// `kubernetes-types` package (generated from the Kubernetes OpenAPI schema), so
// every Pod field is typed and an embedder's tsc catches a misspelled one. The
// few places where statelet is stricter than the wire format (fields the API
// server defaults or requires, enums the API documents as strings) are
// narrowed here, and the fields added after the package's release (1.31-1.34)
// are added here, each with the release that added it. Status and Event types are
// statelet's own output contract (fields only ever added), kept assignable to
// the package's. Timestamps are RFC3339 strings, as metav1.Time serialises them.
import type * as v1 from 'kubernetes-types/core/v1.js';
import type * as metav1 from 'kubernetes-types/meta/v1.js';

export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';
/**
 * A container's own restartPolicy: `Always` on an init container makes it a sidecar
 * (KEP-753); on a regular container any value overrides the pod's (KEP-5307, beta 1.35).
 */
export type ContainerRestartPolicy = 'Always' | 'OnFailure' | 'Never';
/** KEP-5307 / KEP-5532 rule actions (staging/src/k8s.io/api/core/v1/types.go). */
export type ContainerRestartRuleAction = 'Restart' | 'RestartAllContainers';
export interface ContainerRestartRuleOnExitCodes {
  operator: 'In' | 'NotIn';
  values?: number[];
}
export interface ContainerRestartRule {
  action: ContainerRestartRuleAction;
  exitCodes?: ContainerRestartRuleOnExitCodes;
}
export type PullPolicy = 'Always' | 'IfNotPresent' | 'Never';
export type Protocol = 'TCP' | 'UDP' | 'SCTP';
export type URIScheme = 'HTTP' | 'HTTPS';
export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';
export type ConditionStatus = 'True' | 'False' | 'Unknown';
export type DNSPolicy = 'ClusterFirst' | 'ClusterFirstWithHostNet' | 'Default' | 'None';
export type PodQOSClass = 'Guaranteed' | 'Burstable' | 'BestEffort';
export type MountPropagationMode = 'None' | 'HostToContainer' | 'Bidirectional';
export type HostPathType = '' | 'DirectoryOrCreate' | 'Directory' | 'FileOrCreate' | 'File' | 'Socket' | 'CharDevice' | 'BlockDevice';

/** A port given either as a number or as a name (or numeric string), like intstr.IntOrString. */
export type IntOrString = number | string;
/** resource.Quantity on the wire ("100m", "64Mi"); numbers in a manifest are normalised to strings by applyDefaults. */
export type QuantityString = string;

export interface ObjectMeta
  extends Omit<metav1.ObjectMeta, 'name' | 'uid' | 'deletionGracePeriodSeconds' | 'deletionTimestamp' | 'creationTimestamp' | 'generation'> {
  name: string;
  uid?: string;
  /** Set together with deletionTimestamp when the pod is being deleted. */
  deletionGracePeriodSeconds?: number;
  deletionTimestamp?: string;
  creationTimestamp?: string;
  generation?: number;
}

export type ObjectFieldSelector = v1.ObjectFieldSelector;
export type ResourceFieldSelector = v1.ResourceFieldSelector;

export interface EnvVarSource extends v1.EnvVarSource {
  /** 1.34 alpha (EnvFiles gate, off by default): rejected by validation. */
  fileKeyRef?: Record<string, unknown>;
}

export interface EnvVar extends Omit<v1.EnvVar, 'valueFrom'> {
  valueFrom?: EnvVarSource;
}

export type EnvFromSource = v1.EnvFromSource;

export interface ContainerPort extends Omit<v1.ContainerPort, 'protocol'> {
  protocol?: Protocol;
}

export type ExecAction = v1.ExecAction;
export type HTTPHeader = v1.HTTPHeader;

export interface HTTPGetAction extends Omit<v1.HTTPGetAction, 'port' | 'scheme'> {
  port: IntOrString;
  scheme?: URIScheme;
}

export type TCPSocketAction = v1.TCPSocketAction;
export type SleepAction = v1.SleepAction;
export type GRPCAction = v1.GRPCAction;

/** lifecycle.postStart / lifecycle.preStop. tcpSocket is deprecated: accepted by the API, fails at run time. */
export interface LifecycleHandler extends Omit<v1.LifecycleHandler, 'httpGet'> {
  httpGet?: HTTPGetAction;
}

/** KEP-4960 stop signals (staging/src/k8s.io/api/core/v1/types.go Signal): the Linux names. */
export type Signal = string;

export interface Lifecycle {
  postStart?: LifecycleHandler;
  preStop?: LifecycleHandler;
  /**
   * 1.33 alpha (ContainerStopSignals gate, off by default): accepted only with the gate on and
   * spec.os.name set; sent to the runtime as ContainerConfig.stop_signal.
   */
  stopSignal?: Signal;
}

export interface Probe extends Omit<v1.Probe, 'httpGet'> {
  httpGet?: HTTPGetAction;
}

export type ProbeType = 'liveness' | 'readiness' | 'startup';

export type ResourceList = Record<string, QuantityString>;
export interface ResourceRequirements extends Omit<v1.ResourceRequirements, 'limits' | 'requests' | 'claims'> {
  limits?: ResourceList;
  requests?: ResourceList;
  claims?: Array<v1.ResourceClaim & { /** 1.31 */ request?: string }>;
}

export type Capabilities = v1.Capabilities;
export type SeccompProfile = v1.SeccompProfile;
export type AppArmorProfile = v1.AppArmorProfile;
export type SELinuxOptions = v1.SELinuxOptions;
export type SecurityContext = v1.SecurityContext;

export interface PodSecurityContext extends v1.PodSecurityContext {
  /** 1.31 (SupplementalGroupsPolicy): Merge (the default) or Strict. */
  supplementalGroupsPolicy?: 'Merge' | 'Strict';
  /** 1.32 (SELinuxChangePolicy): MountOption or Recursive. */
  seLinuxChangePolicy?: string;
}

export interface VolumeMount extends Omit<v1.VolumeMount, 'mountPropagation'> {
  mountPropagation?: MountPropagationMode;
}

export interface EmptyDirVolumeSource extends Omit<v1.EmptyDirVolumeSource, 'medium' | 'sizeLimit'> {
  medium?: '' | 'Memory';
  sizeLimit?: QuantityString;
}

export interface HostPathVolumeSource extends Omit<v1.HostPathVolumeSource, 'type'> {
  type?: HostPathType;
}

export type DownwardAPIVolumeFile = v1.DownwardAPIVolumeFile;
export type DownwardAPIVolumeSource = v1.DownwardAPIVolumeSource;

export interface VolumeProjection extends v1.VolumeProjection {
  /** 1.34 alpha (PodCertificateRequest): needs the API server, rejected for static pods. */
  podCertificate?: Record<string, unknown>;
}

export interface ProjectedVolumeSource extends Omit<v1.ProjectedVolumeSource, 'sources'> {
  sources?: VolumeProjection[];
}

export interface Volume extends Omit<v1.Volume, 'emptyDir' | 'hostPath' | 'projected'> {
  emptyDir?: EmptyDirVolumeSource;
  hostPath?: HostPathVolumeSource;
  projected?: ProjectedVolumeSource;
  /** 1.31 (ImageVolume): an OCI image as a volume; not supported by statelet (CRI Mount.image). */
  image?: { reference?: string; pullPolicy?: PullPolicy };
}

export type HostAlias = v1.HostAlias;
export type PodDNSConfig = v1.PodDNSConfig;
export type Toleration = v1.Toleration;
export type Affinity = v1.Affinity;

export interface Container
  extends Omit<
    v1.Container,
    | 'name'
    | 'image'
    | 'imagePullPolicy'
    | 'env'
    | 'ports'
    | 'lifecycle'
    | 'livenessProbe'
    | 'readinessProbe'
    | 'startupProbe'
    | 'restartPolicy'
    | 'terminationMessagePolicy'
    | 'resources'
    | 'volumeMounts'
  > {
  name: string;
  image: string;
  imagePullPolicy?: PullPolicy;
  env?: EnvVar[];
  ports?: ContainerPort[];
  lifecycle?: Lifecycle;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  /** 'Always' on an init container makes it a sidecar (KEP-753); on a regular container it overrides the pod's (KEP-5307). */
  restartPolicy?: ContainerRestartPolicy;
  terminationMessagePolicy?: 'File' | 'FallbackToLogsOnError';
  resources?: ResourceRequirements;
  volumeMounts?: VolumeMount[];
  /** KEP-5307 (ContainerRestartRules, beta and on since 1.35): checked in order on each exit; needs an explicit restartPolicy. */
  restartPolicyRules?: ContainerRestartRule[];
}

/** EphemeralContainer shares Container's fields (probes/lifecycle/ports/resources are rejected by validation). */
export interface EphemeralContainer extends Container {
  targetContainerName?: string;
}

export interface PodSpec
  extends Omit<
    v1.PodSpec,
    'containers' | 'initContainers' | 'ephemeralContainers' | 'restartPolicy' | 'volumes' | 'securityContext' | 'dnsPolicy' | 'overhead'
  > {
  containers: Container[];
  initContainers?: Container[];
  ephemeralContainers?: EphemeralContainer[];
  restartPolicy?: RestartPolicy;
  volumes?: Volume[];
  securityContext?: PodSecurityContext;
  dnsPolicy?: DNSPolicy;
  overhead?: ResourceList;
  /** 1.32 (PodLevelResources, beta and on in 1.34): pod-wide requests and limits. */
  resources?: ResourceRequirements;
  /** 1.34 alpha (HostnameOverride gate, off by default): rejected by validation. */
  hostnameOverride?: string;
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
  /** KEP-4960: the effective stop signal (the spec's lifecycle.stopSignal, else the runtime's). */
  stopSignal?: Signal;
  /** KEP-1287: the resources the runtime reports for a running container (the allocated ones otherwise). */
  resources?: ResourceRequirements;
  /** KEP-1287: the requests the kubelet admitted for this container. */
  allocatedResources?: ResourceList;
}

export type PodConditionType =
  | 'PodScheduled'
  | 'PodReadyToStartContainers'
  | 'Initialized'
  | 'ContainersReady'
  | 'Ready'
  /** KEP-5532 (1.36 beta): every container is being restarted after a RestartAllContainers rule matched. */
  | 'AllContainersRestarting'
  /** KEP-1287 in-place resize. */
  | 'PodResizePending'
  | 'PodResizeInProgress';

export interface PodCondition {
  type: PodConditionType;
  status: ConditionStatus;
  reason?: string;
  message?: string;
  lastProbeTime?: string | null;
  lastTransitionTime?: string;
  /** 1.34 (PodObservedGenerationTracking): the metadata.generation the condition was set for. */
  observedGeneration?: number;
}

export interface PodIP {
  ip: string;
}

export interface PodStatus {
  /** 1.34 (PodObservedGenerationTracking): the metadata.generation this status was computed for. */
  observedGeneration?: number;
  phase?: PodPhase;
  /** Guaranteed, Burstable or BestEffort (see src/kuberuntime/qos.ts). */
  qosClass?: PodQOSClass;
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
