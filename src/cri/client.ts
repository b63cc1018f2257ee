import type * as grpc from '@grpc/grpc-js';
import { Observable } from '../rx.js';
import { grpcJs } from '../lazy-deps.js';
import type { ImageServiceClient } from './generated/runtime/v1/ImageService.js';
import type { RuntimeServiceClient } from './generated/runtime/v1/RuntimeService.js';
import { loadCriProto } from './proto.js';
import { CriAbortedError, toCriError } from './errors.js';
import { GrpcStatus } from './grpc-status.js';
import { GO_CONTEXT_CANCELED } from './go-status.js';
import type { CallOptions, ImageService, RuntimeService } from './services.js';
import type * as cri from './types.js';

export type { CallOptions } from './services.js';

/** The kubelet's --runtime-request-timeout default. */
export const DEFAULT_RUNTIME_REQUEST_TIMEOUT_MS = 2 * 60 * 1000;
/** The kubelet's CRI client caps messages at 16 MiB. */
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export interface CriClientOptions {
  /** `unix:///path/to.sock`, `unix:path`, or a bare socket path. */
  endpoint: string;
  /** Deadline for ordinary calls; RunPodSandbox gets twice this. */
  runtimeRequestTimeoutMs?: number;
}

/** `/run/x.sock` and `unix:/run/x.sock` become `unix:///run/x.sock`. */
export function normalizeEndpoint(endpoint: string): string {
  const e = endpoint.trim();
  if (e === '') throw new Error('CRI endpoint is empty');
  if (e.startsWith('unix://')) return e;
  if (e.startsWith('unix:')) return `unix://${e.slice('unix:'.length)}`;
  if (e.startsWith('/')) return `unix://${e}`;
  if (e.startsWith('tcp://')) return e.slice('tcp://'.length);
  return e;
}

/** Starts one unary call on a typed stub; the plumbing adds the deadline, cancellation and error mapping. */
type Invoke<Res> = (md: grpc.Metadata, opts: grpc.CallOptions, cb: grpc.requestCallback<Res>) => grpc.ClientUnaryCall;

/**
 * A thin typed client for CRI v1: one method per RPC the kubelet uses, each on
 * its generated stub, one channel per endpoint shared by RuntimeService and
 * ImageService, deadlines as the kubelet sets them, and typed errors (see
 * errors.ts). Reconnection after UNAVAILABLE is grpc-js's, with the kubelet's
 * backoff (100 ms base, 3 s cap).
 */
export class CriClient implements RuntimeService, ImageService {
  readonly endpoint: string;
  readonly runtimeRequestTimeoutMs: number;
  private readonly runtime: RuntimeServiceClient;
  private readonly image: ImageServiceClient;
  /** grpc-js, loaded by the first client (issue 15: importing the package does not load it). */
  private readonly grpc: ReturnType<typeof grpcJs>;

  constructor(opts: CriClientOptions | string) {
    const o = typeof opts === 'string' ? { endpoint: opts } : opts;
    this.endpoint = normalizeEndpoint(o.endpoint);
    this.runtimeRequestTimeoutMs = o.runtimeRequestTimeoutMs ?? DEFAULT_RUNTIME_REQUEST_TIMEOUT_MS;
    this.grpc = grpcJs();
    const { pkg } = loadCriProto();
    const channelOptions: grpc.ChannelOptions = {
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 3000,
      'grpc.enable_retries': 0,
    };
    this.runtime = new pkg.RuntimeService(this.endpoint, this.grpc.credentials.createInsecure(), channelOptions);
    this.image = new pkg.ImageService(this.endpoint, this.grpc.credentials.createInsecure(), {
      ...channelOptions,
      channelOverride: this.runtime.getChannel(),
    });
  }

  close(): void {
    this.runtime.close();
  }

  // ------------------------------------------------------------ RuntimeService

  version(req: cri.VersionRequest = { version: 'v1' }, opts?: CallOptions): Promise<cri.VersionResponse> {
    return this.unary('RuntimeService/Version', this.runtimeRequestTimeoutMs, opts, (md, o, cb) => this.runtime.Version(req, md, o, cb));
  }
  status(req: cri.StatusRequest = {}, opts?: CallOptions): Promise<cri.StatusResponse> {
    return this.unary('RuntimeService/Status', this.runtimeRequestTimeoutMs, opts, (md, o, cb) => this.runtime.Status(req, md, o, cb));
  }
  /** The kubelet doubles the deadline for sandbox creation (network setup). */
  runPodSandbox(req: cri.RunPodSandboxRequest, opts?: CallOptions): Promise<cri.RunPodSandboxResponse> {
    return this.unary('RuntimeService/RunPodSandbox', 2 * this.runtimeRequestTimeoutMs, opts, (md, o, cb) => this.runtime.RunPodSandbox(req, md, o, cb));
  }
  stopPodSandbox(req: cri.StopPodSandboxRequest, opts?: CallOptions): Promise<cri.StopPodSandboxResponse> {
    return this.unary('RuntimeService/StopPodSandbox', this.runtimeRequestTimeoutMs, opts, (md, o, cb) => this.runtime.StopPodSandbox(req, md, o, cb));
  }
  removePodSandbox(req: cri.RemovePodSandboxRequest, opts?: CallOptions): Promise<cri.RemovePodSandboxResponse> {
    return this.unary('RuntimeService/RemovePodSandbox', this.runtimeRequestTimeoutMs, opts, (md, o, cb) => this.runtime.RemovePodSandbox(req, md, o, cb));
  }
  podSandboxStatus(req: cri.PodSandboxStatusRequest, opts?: CallOptions): Promise<cri.PodSandboxStatusResponse> {
    return this.unary('RuntimeService/PodSandboxStatus', this.runtimeRequestTimeoutMs, opts, (md, o, cb) => this.runtime.PodSandboxStatus(req, md, o, cb));
  }
  listPodSandbox(req: cri.ListPodSandboxRequest = {}, opts?: CallOptions): Promise<cri.ListPodSandboxResponse> {
    return this.unary('RuntimeService/ListPodSandbox', this.runtimeRequestTimeoutMs, opts, (md, o, cb) => this.runtime.ListPodSandbox(req, md, o, cb));
  }
  createContainer(req: cri.CreateContainerRequest, opts?: CallOptions): Promise<cri.CreateContainerResponse> {
    return this.unary('RuntimeService/CreateContainer', this.runtimeRequestTimeoutMs, opts, (md, o, cb) => this.runtime.CreateContainer(req, md, o, cb));
  }
  startContainer(req: cri.StartContainerRequest, opts?: CallOptions): Promise<cri.StartContainerResponse> {
    return this.unary('RuntimeService/StartContainer', this.runtimeRequestTimeoutMs, opts, (md, o, cb) => this.runtime.StartContainer(req, md, o, cb));
  }
  /** Deadline = the stop timeout plus the ordinary request timeout, as in the kubelet. */
  stopContainer(req: cri.StopContainerRequest, opts?: CallOptions): Promise<cri.StopContainerResponse> {
    const deadline = req.timeout * 1000 + this.runtimeRequestTimeoutMs;
    return this.unary('RuntimeService/StopContainer', deadline, opts, (md, o, cb) => this.runtime.StopContainer(req, md, o, cb));
  }
  removeContainer(req: cri.RemoveContainerRequest, opts?: CallOptions): Promise<cri.RemoveContainerResponse> {
    return this.unary('RuntimeService/RemoveContainer', this.runtimeRequestTimeoutMs, opts, (md, o, cb) => this.runtime.RemoveContainer(req, md, o, cb));
  }
  listContainers(req: cri.ListContainersRequest = {}, opts?: CallOptions): Promise<cri.ListContainersResponse> {
    return this.unary('RuntimeService/ListContainers', this.runtimeRequestTimeoutMs, opts, (md, o, cb) => this.runtime.ListContainers(req, md, o, cb));
  }
  containerStatus(req: cri.ContainerStatusRequest, opts?: CallOptions): Promise<cri.ContainerStatusResponse> {
    return this.unary('RuntimeService/ContainerStatus', this.runtimeRequestTimeoutMs, opts, (md, o, cb) => this.runtime.ContainerStatus(req, md, o, cb));
  }
  updateContainerResources(req: cri.UpdateContainerResourcesRequest, opts?: CallOptions): Promise<cri.UpdateContainerResourcesResponse> {
    return this.unary('RuntimeService/UpdateContainerResources', this.runtimeRequestTimeoutMs, opts, (md, o, cb) => this.runtime.UpdateContainerResources(req, md, o, cb));
  }
  /**
   * timeout 0 (hooks) means no deadline at all; otherwise the deadline is the
   * exec timeout plus the request timeout, and DEADLINE_EXCEEDED comes back
   * as ExecTimeoutError.
   */
  execSync(req: cri.ExecSyncRequest, opts?: CallOptions): Promise<cri.ExecSyncResponse> {
    const t = req.timeout ?? 0;
    const deadline = t === 0 ? 0 : t * 1000 + this.runtimeRequestTimeoutMs;
    return this.unary('RuntimeService/ExecSync', deadline, opts, (md, o, cb) => this.runtime.ExecSync(req, md, o, cb));
  }
  /** Log rotation: the runtime closes the container's log file and opens a new one at the same path. */
  reopenContainerLog(req: cri.ReopenContainerLogRequest, opts?: CallOptions): Promise<cri.ReopenContainerLogResponse> {
    return this.unary('RuntimeService/ReopenContainerLog', this.runtimeRequestTimeoutMs, opts, (md, o, cb) => this.runtime.ReopenContainerLog(req, md, o, cb));
  }
  containerStats(req: cri.ContainerStatsRequest, opts?: CallOptions): Promise<cri.ContainerStatsResponse> {
    return this.unary('RuntimeService/ContainerStats', this.runtimeRequestTimeoutMs, opts, (md, o, cb) => this.runtime.ContainerStats(req, md, o, cb));
  }

  /**
   * The runtime's container event stream (Evented PLEG). Errors arrive as
   * CriError (CriUnimplementedError on containerd 1.6); unsubscribing cancels.
   */
  getContainerEvents(): Observable<cri.ContainerEventResponse> {
    const method = 'RuntimeService/GetContainerEvents';
    return new Observable<cri.ContainerEventResponse>((sub) => {
      const call = this.runtime.GetContainerEvents({}, new this.grpc.Metadata());
      let closing = false;
      call.on('data', (ev: cri.ContainerEventResponse) => sub.next(ev));
      call.on('error', (err: grpc.ServiceError) => {
        if (!closing) sub.error(toCriError(method, this.endpoint, err));
      });
      call.on('end', () => sub.complete());
      return () => {
        closing = true;
        call.cancel();
      };
    });
  }

  // ------------------------------------------------------------ ImageService

  listImages(req: cri.ListImagesRequest = {}, opts?: CallOptions): Promise<cri.ListImagesResponse> {
    return this.unary('ImageService/ListImages', this.runtimeRequestTimeoutMs, opts, (md, o, cb) => this.image.ListImages(req, md, o, cb));
  }
  imageStatus(req: cri.ImageStatusRequest, opts?: CallOptions): Promise<cri.ImageStatusResponse> {
    return this.unary('ImageService/ImageStatus', this.runtimeRequestTimeoutMs, opts, (md, o, cb) => this.image.ImageStatus(req, md, o, cb));
  }
  /** Pulls have no deadline in the kubelet (they may take minutes); cancel with a signal. */
  pullImage(req: cri.PullImageRequest, opts?: CallOptions): Promise<cri.PullImageResponse> {
    return this.unary('ImageService/PullImage', 0, opts, (md, o, cb) => this.image.PullImage(req, md, o, cb));
  }
  removeImage(req: cri.RemoveImageRequest, opts?: CallOptions): Promise<cri.RemoveImageResponse> {
    return this.unary('ImageService/RemoveImage', this.runtimeRequestTimeoutMs, opts, (md, o, cb) => this.image.RemoveImage(req, md, o, cb));
  }
  imageFsInfo(opts?: CallOptions): Promise<cri.ImageFsInfoResponse> {
    return this.unary('ImageService/ImageFsInfo', this.runtimeRequestTimeoutMs, opts, (md, o, cb) => this.image.ImageFsInfo({}, md, o, cb));
  }

  // ------------------------------------------------------------ plumbing

  /** One unary call: the default deadline (0 = none) unless opts override it, the signal cancels, errors become CriError. */
  private unary<Res>(method: string, deadlineMs: number, opts: CallOptions | undefined, invoke: Invoke<Res>): Promise<Res> {
    const signal = opts?.signal;
    const timeout = opts?.timeoutMs ?? deadlineMs;
    return new Promise<Res>((resolve, reject) => {
      if (signal?.aborted) {
        reject(new CriAbortedError(method, this.endpoint, GrpcStatus.CANCELLED, GO_CONTEXT_CANCELED));
        return;
      }
      const callOpts: grpc.CallOptions = timeout > 0 ? { deadline: Date.now() + timeout } : {};
      let aborted = false;
      const onAbort = () => {
        aborted = true;
        call.cancel();
      };
      const call = invoke(new this.grpc.Metadata(), callOpts, (err, res) => {
        signal?.removeEventListener('abort', onAbort);
        if (err) reject(toCriError(method, this.endpoint, err, aborted));
        // grpc-js passes a decoded message with every success.
        else if (res === undefined) reject(toCriError(method, this.endpoint, new Error('no response message')));
        else resolve(res);
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
