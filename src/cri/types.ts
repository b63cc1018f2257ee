// TypeScript shapes of the CRI v1 messages in proto/api.proto, as
// @grpc/proto-loader presents them with PROTO_LOADER_OPTIONS: camelCase field
// names, int64/uint64 as decimal strings, enums as their names. Requests may
// leave fields out (proto3 defaults); responses have every field filled in.

export type Int64 = string;

export type ContainerState = 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN';
export type PodSandboxState = 'SANDBOX_READY' | 'SANDBOX_NOTREADY';
export type NamespaceMode = 'POD' | 'CONTAINER' | 'NODE' | 'TARGET';
export type Protocol = 'TCP' | 'UDP' | 'SCTP';
export type ContainerEventType =
  | 'CONTAINER_CREATED_EVENT'
  | 'CONTAINER_STARTED_EVENT'
  | 'CONTAINER_STOPPED_EVENT'
  | 'CONTAINER_DELETED_EVENT';

export type StringMap = Record<string, string>;

export interface VersionRequest { version?: string }
export interface VersionResponse { version: string; runtimeName: string; runtimeVersion: string; runtimeApiVersion: string }

export interface RuntimeCondition { type: string; status: boolean; reason: string; message: string }
export interface StatusRequest { verbose?: boolean }
export interface StatusResponse { status: { conditions: RuntimeCondition[] } | null; info: StringMap }

export interface DNSConfig { servers?: string[]; searches?: string[]; options?: string[] }
export interface PortMapping { protocol?: Protocol; containerPort?: number; hostPort?: number; hostIp?: string }
export type MountPropagation = 'PROPAGATION_PRIVATE' | 'PROPAGATION_HOST_TO_CONTAINER' | 'PROPAGATION_BIDIRECTIONAL';
export interface Mount { containerPath?: string; hostPath?: string; readonly?: boolean; selinuxRelabel?: boolean; propagation?: MountPropagation | string }
export interface SELinuxOption { user?: string; role?: string; type?: string; level?: string }
export type SecurityProfileType = 'RuntimeDefault' | 'Unconfined' | 'Localhost';
export interface SecurityProfile { profileType?: SecurityProfileType; localhostRef?: string }
export interface Capability { addCapabilities?: string[]; dropCapabilities?: string[]; addAmbientCapabilities?: string[] }
export interface HugepageLimit { pageSize: string; limit: Int64 | number }
export interface Device { containerPath?: string; hostPath?: string; permissions?: string }
export interface NamespaceOption { network?: NamespaceMode; pid?: NamespaceMode; ipc?: NamespaceMode; targetId?: string }
export interface Int64Value { value: Int64 | number }
export interface KeyValue { key: string; value: string }
export interface ImageSpec { image: string; annotations?: StringMap }

export interface PodSandboxMetadata { name: string; uid: string; namespace: string; attempt?: number }

export interface LinuxSandboxSecurityContext {
  namespaceOptions?: NamespaceOption;
  runAsUser?: Int64Value;
  runAsGroup?: Int64Value;
  readonlyRootfs?: boolean;
  supplementalGroups?: (Int64 | number)[];
  privileged?: boolean;
  selinuxOptions?: SELinuxOption;
  seccomp?: SecurityProfile;
  apparmor?: SecurityProfile;
}
export interface LinuxPodSandboxConfig {
  cgroupParent?: string;
  securityContext?: LinuxSandboxSecurityContext;
  sysctls?: StringMap;
  overhead?: LinuxContainerResources;
  resources?: LinuxContainerResources;
}

export interface PodSandboxConfig {
  metadata: PodSandboxMetadata;
  hostname?: string;
  logDirectory?: string;
  dnsConfig?: DNSConfig;
  portMappings?: PortMapping[];
  labels?: StringMap;
  annotations?: StringMap;
  linux?: LinuxPodSandboxConfig;
}

export interface RunPodSandboxRequest { config: PodSandboxConfig; runtimeHandler?: string }
export interface RunPodSandboxResponse { podSandboxId: string }
export interface PodSandboxIdRequest { podSandboxId: string }
export interface PodSandboxStatusRequest { podSandboxId: string; verbose?: boolean }

export interface PodSandboxNetworkStatus { ip: string; additionalIps: { ip: string }[] }
export interface PodSandboxStatus {
  id: string;
  metadata: PodSandboxMetadata | null;
  state: PodSandboxState;
  createdAt: Int64;
  network: PodSandboxNetworkStatus | null;
  linux: { namespaces: { options: NamespaceOption | null } | null } | null;
  labels: StringMap;
  annotations: StringMap;
  runtimeHandler: string;
}
export interface PodSandboxStatusResponse {
  status: PodSandboxStatus | null;
  info: StringMap;
  containersStatuses: ContainerStatus[];
  timestamp: Int64;
}

export interface PodSandboxFilter { id?: string; state?: { state: PodSandboxState } | null; labelSelector?: StringMap }
export interface ListPodSandboxRequest { filter?: PodSandboxFilter | null }
export interface PodSandbox {
  id: string;
  metadata: PodSandboxMetadata | null;
  state: PodSandboxState;
  createdAt: Int64;
  labels: StringMap;
  annotations: StringMap;
  runtimeHandler: string;
}
export interface ListPodSandboxResponse { items: PodSandbox[] }

export interface LinuxContainerResources {
  cpuPeriod?: Int64 | number;
  cpuQuota?: Int64 | number;
  cpuShares?: Int64 | number;
  memoryLimitInBytes?: Int64 | number;
  oomScoreAdj?: Int64 | number;
  cpusetCpus?: string;
  cpusetMems?: string;
  hugepageLimits?: HugepageLimit[];
  unified?: StringMap;
  memorySwapLimitInBytes?: Int64 | number;
}
export interface LinuxContainerSecurityContext {
  capabilities?: Capability;
  privileged?: boolean;
  namespaceOptions?: NamespaceOption;
  selinuxOptions?: SELinuxOption;
  runAsUser?: Int64Value;
  runAsUsername?: string;
  readonlyRootfs?: boolean;
  supplementalGroups?: (Int64 | number)[];
  /** Deprecated string form ("runtime/default", "localhost/<p>"), still the only one containerd 1.6 reads. */
  apparmorProfile?: string;
  noNewPrivs?: boolean;
  runAsGroup?: Int64Value;
  maskedPaths?: string[];
  readonlyPaths?: string[];
  seccomp?: SecurityProfile;
  apparmor?: SecurityProfile;
}
export interface ContainerMetadata { name: string; attempt?: number }

export interface ContainerConfig {
  metadata: ContainerMetadata;
  image: ImageSpec;
  command?: string[];
  args?: string[];
  workingDir?: string;
  envs?: KeyValue[];
  mounts?: Mount[];
  devices?: Device[];
  labels?: StringMap;
  annotations?: StringMap;
  logPath?: string;
  stdin?: boolean;
  stdinOnce?: boolean;
  tty?: boolean;
  linux?: { resources?: LinuxContainerResources; securityContext?: LinuxContainerSecurityContext };
}

export interface CreateContainerRequest { podSandboxId: string; config: ContainerConfig; sandboxConfig: PodSandboxConfig }
export interface CreateContainerResponse { containerId: string }
export interface ContainerIdRequest { containerId: string }
export interface StopContainerRequest { containerId: string; timeout: number }

export interface ContainerFilter { id?: string; state?: { state: ContainerState } | null; podSandboxId?: string; labelSelector?: StringMap }
export interface ListContainersRequest { filter?: ContainerFilter | null }
export interface Container {
  id: string;
  podSandboxId: string;
  metadata: ContainerMetadata | null;
  image: ImageSpec | null;
  imageRef: string;
  state: ContainerState;
  createdAt: Int64;
  labels: StringMap;
  annotations: StringMap;
}
export interface ListContainersResponse { containers: Container[] }

export interface ContainerStatusRequest { containerId: string; verbose?: boolean }
export interface ContainerStatus {
  id: string;
  metadata: ContainerMetadata | null;
  state: ContainerState;
  createdAt: Int64;
  startedAt: Int64;
  finishedAt: Int64;
  exitCode: number;
  image: ImageSpec | null;
  imageRef: string;
  reason: string;
  message: string;
  labels: StringMap;
  annotations: StringMap;
  mounts: Mount[];
  logPath: string;
}
export interface ContainerStatusResponse { status: ContainerStatus | null; info: StringMap }

export interface ExecSyncRequest { containerId: string; cmd: string[]; timeout?: number }
export interface ExecSyncResponse { stdout: Buffer; stderr: Buffer; exitCode: number }

export interface UInt64Value { value: Int64 }
export interface ContainerStats {
  attributes: { id: string; metadata: ContainerMetadata | null; labels: StringMap; annotations: StringMap } | null;
  cpu: { timestamp: Int64; usageCoreNanoSeconds: UInt64Value | null; usageNanoCores: UInt64Value | null } | null;
  memory: { timestamp: Int64; workingSetBytes: UInt64Value | null; availableBytes: UInt64Value | null; usageBytes: UInt64Value | null; rssBytes: UInt64Value | null } | null;
  writableLayer: FilesystemUsage | null;
}
export interface ContainerStatsResponse { stats: ContainerStats | null }

export interface ContainerEventResponse {
  containerId: string;
  containerEventType: ContainerEventType;
  createdAt: Int64;
  podSandboxStatus: PodSandboxStatus | null;
  containersStatuses: ContainerStatus[];
}

export interface Image {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  size: Int64;
  uid: Int64Value | null;
  username: string;
  spec: ImageSpec | null;
  pinned: boolean;
}
export interface ListImagesRequest { filter?: { image?: ImageSpec } | null }
export interface ListImagesResponse { images: Image[] }
export interface ImageStatusRequest { image: ImageSpec; verbose?: boolean }
export interface ImageStatusResponse { image: Image | null; info: StringMap }
export interface AuthConfig { username?: string; password?: string; auth?: string; serverAddress?: string; identityToken?: string; registryToken?: string }
export interface PullImageRequest { image: ImageSpec; auth?: AuthConfig; sandboxConfig?: PodSandboxConfig }
export interface PullImageResponse { imageRef: string }
export interface RemoveImageRequest { image: ImageSpec }
export interface FilesystemUsage { timestamp: Int64; fsId: { mountpoint: string } | null; usedBytes: UInt64Value | null; inodesUsed: UInt64Value | null }
export interface ImageFsInfoResponse { imageFilesystems: FilesystemUsage[]; containerFilesystems: FilesystemUsage[] }

export type Empty = Record<string, never>;
