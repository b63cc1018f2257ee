// The CRI v1 message types under statelet's names: aliases of the types that
// proto-loader-gen-types generates from proto/api.proto into ./generated/
// (scripts/gen-cri-types.mjs, run by the build; never edit those by hand).
//
// Each message has two generated shapes, both matching PROTO_LOADER_OPTIONS:
// - In<'X'>, the permissive side: every field optional, int64 as
//   number | string | Long, enums as name or number: what may be sent.
// - Out<'X'>, what grpc-js decodes: every field present (defaults), int64 as
//   decimal strings, enums as their names, sub-messages `| null`.
// Requests and the configs they carry alias In, with the few fields the CRI
// contract requires although proto3 cannot say so (Need below). Responses and
// what they carry alias Out. Out is assignable to In, so a received message
// can always be sent back (a sandbox's config, a mount).
import type { MessageTypeDefinition } from '@grpc/proto-loader';
import type { ProtoGrpcType } from './generated/api.js';

/** The generated package tree of runtime.v1: service constructors and message definitions. */
export type CriV1 = ProtoGrpcType['runtime']['v1'];
type MessageName = { [K in keyof CriV1]: CriV1[K] extends MessageTypeDefinition<never, unknown> ? K : never }[keyof CriV1];

/** The permissive (sendable) shape of a runtime.v1 message. */
export type In<K extends MessageName> = CriV1[K] extends MessageTypeDefinition<infer I, unknown> ? I : never;
/** The decoded shape of a runtime.v1 message, as grpc-js returns it. */
export type Out<K extends MessageName> = CriV1[K] extends MessageTypeDefinition<never, infer O> ? O : never;

/**
 * proto3 has no required fields, but runtimes reject a request without these
 * (containerd: "sandbox config must include metadata"), and the kubelet always
 * sends them. Need<T, R> is T with R's fields required (and narrowed, for int64
 * timeouts the client does arithmetic on).
 */
type Need<T, R> = Omit<T, keyof R> & R;

/** int64/uint64 as grpc-js returns them with `longs: String`: decimal strings. */
export type Int64 = string;
export type StringMap = Record<string, string>;

// ------------------------------------------------------------------ enums: names, as `enums: String` decodes them

export type ContainerState = import('./generated/runtime/v1/ContainerState.js').ContainerState__Output;
export type PodSandboxState = import('./generated/runtime/v1/PodSandboxState.js').PodSandboxState__Output;
export type NamespaceMode = import('./generated/runtime/v1/NamespaceMode.js').NamespaceMode__Output;
export type Protocol = import('./generated/runtime/v1/Protocol.js').Protocol__Output;
export type ContainerEventType = import('./generated/runtime/v1/ContainerEventType.js').ContainerEventType__Output;
export type MountPropagation = import('./generated/runtime/v1/MountPropagation.js').MountPropagation__Output;
export type SecurityProfileType = import('./generated/runtime/v1/SecurityProfile.js')._runtime_v1_SecurityProfile_ProfileType__Output;
/** KEP-4960 stop signals: `RUNTIME_DEFAULT`, `SIGTERM`, `SIGRTMINPLUS1`, ... */
export type Signal = import('./generated/runtime/v1/Signal.js').Signal__Output;

// ------------------------------------------------------------------ sent: requests and the configs they carry

export type ImageSpec = Need<In<'ImageSpec'>, { image: string }>;
export type PodSandboxMetadata = Need<In<'PodSandboxMetadata'>, { name: string; uid: string; namespace: string }>;
export type PodSandboxConfig = Need<In<'PodSandboxConfig'>, { metadata: PodSandboxMetadata }>;
export type ContainerMetadata = Need<In<'ContainerMetadata'>, { name: string }>;
export type ContainerConfig = Need<In<'ContainerConfig'>, { metadata: ContainerMetadata; image: ImageSpec }>;
/** Statelet fills every field of these, and reads them back (envs, ContainerStatus.mounts). */
export type KeyValue = Out<'KeyValue'>;
export type Mount = Out<'Mount'>;
export type LinuxPodSandboxConfig = In<'LinuxPodSandboxConfig'>;
export type LinuxSandboxSecurityContext = In<'LinuxSandboxSecurityContext'>;
export type LinuxContainerResources = In<'LinuxContainerResources'>;
export type LinuxContainerSecurityContext = In<'LinuxContainerSecurityContext'>;
export type NamespaceOption = In<'NamespaceOption'>;
export type DNSConfig = In<'DNSConfig'>;
export type PortMapping = In<'PortMapping'>;
export type Device = In<'Device'>;
export type HugepageLimit = In<'HugepageLimit'>;
export type Capability = In<'Capability'>;
export type SELinuxOption = In<'SELinuxOption'>;
export type SecurityProfile = In<'SecurityProfile'>;
export type Int64Value = In<'Int64Value'>;
export type AuthConfig = In<'AuthConfig'>;
export type PodSandboxFilter = In<'PodSandboxFilter'>;
export type ContainerFilter = In<'ContainerFilter'>;

export type VersionRequest = In<'VersionRequest'>;
export type StatusRequest = In<'StatusRequest'>;
export type RunPodSandboxRequest = Need<In<'RunPodSandboxRequest'>, { config: PodSandboxConfig }>;
export type StopPodSandboxRequest = Need<In<'StopPodSandboxRequest'>, { podSandboxId: string }>;
export type RemovePodSandboxRequest = Need<In<'RemovePodSandboxRequest'>, { podSandboxId: string }>;
export type PodSandboxStatusRequest = Need<In<'PodSandboxStatusRequest'>, { podSandboxId: string }>;
export type ListPodSandboxRequest = In<'ListPodSandboxRequest'>;
export type CreateContainerRequest = Need<In<'CreateContainerRequest'>, { podSandboxId: string; config: ContainerConfig; sandboxConfig: PodSandboxConfig }>;
export type StartContainerRequest = Need<In<'StartContainerRequest'>, { containerId: string }>;
/** The kubelet always sends the grace period; the client derives the call's deadline from it. */
export type StopContainerRequest = Need<In<'StopContainerRequest'>, { containerId: string; timeout: number }>;
export type RemoveContainerRequest = Need<In<'RemoveContainerRequest'>, { containerId: string }>;
export type ListContainersRequest = In<'ListContainersRequest'>;
export type ContainerStatusRequest = Need<In<'ContainerStatusRequest'>, { containerId: string }>;
/** timeout in seconds, 0 = none (hooks); the client derives the call's deadline from it. */
export type ExecSyncRequest = Need<In<'ExecSyncRequest'>, { containerId: string; cmd: string[]; timeout?: number }>;
export type ReopenContainerLogRequest = Need<In<'ReopenContainerLogRequest'>, { containerId: string }>;
export type ContainerStatsRequest = Need<In<'ContainerStatsRequest'>, { containerId: string }>;
/** KEP-1287 in-place resize: the new resources of a running container. */
export type UpdateContainerResourcesRequest = Need<In<'UpdateContainerResourcesRequest'>, { containerId: string }>;
export type GetEventsRequest = In<'GetEventsRequest'>;
export type ListImagesRequest = In<'ListImagesRequest'>;
export type ImageStatusRequest = Need<In<'ImageStatusRequest'>, { image: ImageSpec }>;
export type PullImageRequest = Need<In<'PullImageRequest'>, { image: ImageSpec }>;
export type RemoveImageRequest = Need<In<'RemoveImageRequest'>, { image: ImageSpec }>;
export type ImageFsInfoRequest = In<'ImageFsInfoRequest'>;
/** StopPodSandbox's and RemovePodSandbox's request. */
export type PodSandboxIdRequest = StopPodSandboxRequest & RemovePodSandboxRequest;
/** The `{ containerId }` requests: StartContainer, RemoveContainer, ReopenContainerLog, ContainerStats. */
export type ContainerIdRequest = StartContainerRequest & RemoveContainerRequest & ReopenContainerLogRequest & ContainerStatsRequest;

// ------------------------------------------------------------------ received: responses and what they carry

export type VersionResponse = Out<'VersionResponse'>;
export type StatusResponse = Out<'StatusResponse'>;
export type RuntimeCondition = Out<'RuntimeCondition'>;
export type RunPodSandboxResponse = Out<'RunPodSandboxResponse'>;
export type StopPodSandboxResponse = Out<'StopPodSandboxResponse'>;
export type RemovePodSandboxResponse = Out<'RemovePodSandboxResponse'>;
export type PodSandboxStatusResponse = Out<'PodSandboxStatusResponse'>;
export type PodSandboxStatus = Out<'PodSandboxStatus'>;
export type PodSandboxNetworkStatus = Out<'PodSandboxNetworkStatus'>;
export type ListPodSandboxResponse = Out<'ListPodSandboxResponse'>;
export type PodSandbox = Out<'PodSandbox'>;
export type CreateContainerResponse = Out<'CreateContainerResponse'>;
export type StartContainerResponse = Out<'StartContainerResponse'>;
export type StopContainerResponse = Out<'StopContainerResponse'>;
export type RemoveContainerResponse = Out<'RemoveContainerResponse'>;
export type ListContainersResponse = Out<'ListContainersResponse'>;
export type Container = Out<'Container'>;
export type ContainerStatusResponse = Out<'ContainerStatusResponse'>;
export type ContainerStatus = Out<'ContainerStatus'>;
/** ContainerStatus.resources: what the container runs with (KEP-1287). */
export type ContainerResources = Out<'ContainerResources'>;
export type UpdateContainerResourcesResponse = Out<'UpdateContainerResourcesResponse'>;
export type ExecSyncResponse = Out<'ExecSyncResponse'>;
export type ReopenContainerLogResponse = Out<'ReopenContainerLogResponse'>;
export type ContainerStatsResponse = Out<'ContainerStatsResponse'>;
export type ContainerStats = Out<'ContainerStats'>;
export type UInt64Value = Out<'UInt64Value'>;
export type ContainerEventResponse = Out<'ContainerEventResponse'>;
export type ListImagesResponse = Out<'ListImagesResponse'>;
export type ImageStatusResponse = Out<'ImageStatusResponse'>;
export type Image = Out<'Image'>;
export type PullImageResponse = Out<'PullImageResponse'>;
export type RemoveImageResponse = Out<'RemoveImageResponse'>;
export type FilesystemUsage = Out<'FilesystemUsage'>;
export type ImageFsInfoResponse = Out<'ImageFsInfoResponse'>;
/** The empty responses (StopPodSandbox, StartContainer, StopContainer, ...): runtime.v1 `{}` messages. */
export type Empty = StartContainerResponse;
