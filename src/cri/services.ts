// The runtime seam, after the kubelet's internalapi (k8s.io/cri-api/pkg/apis,
// services.go): what the actors, the PLEG, the hook runner and the probes need
// from a container runtime, as TypeScript interfaces. CriClient implements them
// over gRPC; an embedder or a test may hand the manager any other object that
// does (an in-memory runtime, a recording proxy).
//
// One method per CRI v1 RPC statelet calls, taking the request message and
// returning the response message (types.ts), rather than the kubelet's unpacked
// Go arguments: the messages are what the CRI carries, and they keep new fields
// reachable without changing the seam. Failures reject with CriError and its
// subclasses (errors.ts), whatever the implementation: callers tell NotFound,
// Unimplemented or an exec timeout apart by class.
import type { Observable } from 'rxjs';
import type * as cri from './types.js';

/** Per-call options, as the kubelet passes a context to each call. */
export interface CallOptions {
  /** Cancels the call when aborted (an actor leaving its state); it rejects with CriAbortedError. */
  signal?: AbortSignal;
  /** Overrides the call's deadline in ms (0 = none); the default follows the kubelet's per-RPC deadlines. */
  timeoutMs?: number;
}

/** RuntimeVersioner. */
export interface RuntimeVersioner {
  version(req?: cri.VersionRequest, opts?: CallOptions): Promise<cri.VersionResponse>;
}

/** PodSandboxManager. */
export interface PodSandboxManager {
  /** Creates and starts the pod's sandbox; runtimes make sure it is ready. */
  runPodSandbox(req: cri.RunPodSandboxRequest, opts?: CallOptions): Promise<cri.RunPodSandboxResponse>;
  /** Stops the sandbox; running containers in it are force-terminated. Idempotent. */
  stopPodSandbox(req: cri.StopPodSandboxRequest, opts?: CallOptions): Promise<cri.StopPodSandboxResponse>;
  /** Removes the sandbox (and forcibly its containers). Removing a missing sandbox succeeds. */
  removePodSandbox(req: cri.RemovePodSandboxRequest, opts?: CallOptions): Promise<cri.RemovePodSandboxResponse>;
  podSandboxStatus(req: cri.PodSandboxStatusRequest, opts?: CallOptions): Promise<cri.PodSandboxStatusResponse>;
  listPodSandbox(req?: cri.ListPodSandboxRequest, opts?: CallOptions): Promise<cri.ListPodSandboxResponse>;
}

/** ContainerManager (the RPCs of it statelet calls). */
export interface ContainerManager {
  createContainer(req: cri.CreateContainerRequest, opts?: CallOptions): Promise<cri.CreateContainerResponse>;
  startContainer(req: cri.StartContainerRequest, opts?: CallOptions): Promise<cri.StartContainerResponse>;
  /** Stops the container with a grace period (`timeout`, seconds); the default deadline is that plus the request timeout. */
  stopContainer(req: cri.StopContainerRequest, opts?: CallOptions): Promise<cri.StopContainerResponse>;
  removeContainer(req: cri.RemoveContainerRequest, opts?: CallOptions): Promise<cri.RemoveContainerResponse>;
  listContainers(req?: cri.ListContainersRequest, opts?: CallOptions): Promise<cri.ListContainersResponse>;
  containerStatus(req: cri.ContainerStatusRequest, opts?: CallOptions): Promise<cri.ContainerStatusResponse>;
  /**
   * In-place resize (KEP-1287): applies new resources to a running container. Runtimes must not
   * restart the container for it (an error instead) and must accept the same values twice.
   */
  updateContainerResources(req: cri.UpdateContainerResourcesRequest, opts?: CallOptions): Promise<cri.UpdateContainerResourcesResponse>;
  /**
   * Runs a command in the container. A non-zero exit code is a response, not an
   * error; running past `timeout` (seconds, 0 = none) rejects with ExecTimeoutError.
   */
  execSync(req: cri.ExecSyncRequest, opts?: CallOptions): Promise<cri.ExecSyncResponse>;
  /** Log rotation: the runtime closes the container's log file and opens a new one at the same path. */
  reopenContainerLog(req: cri.ReopenContainerLogRequest, opts?: CallOptions): Promise<cri.ReopenContainerLogResponse>;
}

/** ContainerStatsManager (the RPCs of it statelet calls). */
export interface ContainerStatsManager {
  containerStats(req: cri.ContainerStatsRequest, opts?: CallOptions): Promise<cri.ContainerStatsResponse>;
}

/** RuntimeService: what the kubelet needs of a container runtime. */
export interface RuntimeService extends RuntimeVersioner, PodSandboxManager, ContainerManager, ContainerStatsManager {
  status(req?: cri.StatusRequest, opts?: CallOptions): Promise<cri.StatusResponse>;
  /**
   * The runtime's container event stream (the Evented PLEG). Unsubscribing
   * cancels it; a runtime without it errors with CriUnimplementedError
   * (containerd 1.6), and the PLEG then relists only.
   */
  getContainerEvents(): Observable<cri.ContainerEventResponse>;
}

/** ImageService (the kubelet's ImageManagerService). */
export interface ImageService {
  listImages(req?: cri.ListImagesRequest, opts?: CallOptions): Promise<cri.ListImagesResponse>;
  /** `image: null` in the response when the image is not present (not an error). */
  imageStatus(req: cri.ImageStatusRequest, opts?: CallOptions): Promise<cri.ImageStatusResponse>;
  /** No default deadline: pulls may take minutes (cancel with a signal). */
  pullImage(req: cri.PullImageRequest, opts?: CallOptions): Promise<cri.PullImageResponse>;
  removeImage(req: cri.RemoveImageRequest, opts?: CallOptions): Promise<cri.RemoveImageResponse>;
  imageFsInfo(opts?: CallOptions): Promise<cri.ImageFsInfoResponse>;
}

/** Both services, as one runtime endpoint serves them (what RuntimeManager and the actors take). */
export type CriRuntime = RuntimeService & ImageService;
