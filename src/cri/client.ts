import * as grpc from '@grpc/grpc-js';
import { Observable } from 'rxjs';
import { loadCriProto } from './proto.js';
import { CriAbortedError, toCriError } from './errors.js';
import { GO_CONTEXT_CANCELED } from './go-status.js';
import type * as cri from './types.js';

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

export interface CallOptions {
  /** Cancels the call when aborted (an actor leaving its state). */
  signal?: AbortSignal;
  /** Overrides the computed deadline for this call (0 = none). */
  timeoutMs?: number;
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

type UnaryMethod = (
  req: unknown,
  md: grpc.Metadata,
  opts: grpc.CallOptions,
  cb: (err: grpc.ServiceError | null, res: unknown) => void,
) => grpc.ClientUnaryCall;

/**
 * A thin typed client for CRI v1: one method per RPC the kubelet uses, one
 * channel per endpoint shared by RuntimeService and ImageService, deadlines as
 * the kubelet sets them, and typed errors (see errors.ts). Reconnection after
 * UNAVAILABLE is grpc-js's, with the kubelet's backoff (100 ms base, 3 s cap).
 */
export class CriClient {
  readonly endpoint: string;
  readonly runtimeRequestTimeoutMs: number;
  private readonly runtime: grpc.Client;
  private readonly image: grpc.Client;

  constructor(opts: CriClientOptions | string) {
    const o = typeof opts === 'string' ? { endpoint: opts } : opts;
    this.endpoint = normalizeEndpoint(o.endpoint);
    this.runtimeRequestTimeoutMs = o.runtimeRequestTimeoutMs ?? DEFAULT_RUNTIME_REQUEST_TIMEOUT_MS;
    const { pkg } = loadCriProto();
    const channelOptions: grpc.ChannelOptions = {
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 3000,
      'grpc.enable_retries': 0,
    };
    this.runtime = new pkg.RuntimeService(this.endpoint, grpc.credentials.createInsecure(), channelOptions);
    this.image = new pkg.ImageService(this.endpoint, grpc.credentials.createInsecure(), {
      ...channelOptions,
      channelOverride: this.runtime.getChannel(),
    });
  }

  close(): void {
    this.runtime.close();
  }

  // ------------------------------------------------------------ RuntimeService

  version(req: cri.VersionRequest = { version: 'v1' }, opts?: CallOptions): Promise<cri.VersionResponse> {
    return this.call('runtime', 'Version', req, this.runtimeRequestTimeoutMs, opts);
  }
  status(req: cri.StatusRequest = {}, opts?: CallOptions): Promise<cri.StatusResponse> {
    return this.call('runtime', 'Status', req, this.runtimeRequestTimeoutMs, opts);
  }
  /** The kubelet doubles the deadline for sandbox creation (network setup). */
  runPodSandbox(req: cri.RunPodSandboxRequest, opts?: CallOptions): Promise<cri.RunPodSandboxResponse> {
    return this.call('runtime', 'RunPodSandbox', req, 2 * this.runtimeRequestTimeoutMs, opts);
  }
  stopPodSandbox(req: cri.PodSandboxIdRequest, opts?: CallOptions): Promise<cri.Empty> {
    return this.call('runtime', 'StopPodSandbox', req, this.runtimeRequestTimeoutMs, opts);
  }
  removePodSandbox(req: cri.PodSandboxIdRequest, opts?: CallOptions): Promise<cri.Empty> {
    return this.call('runtime', 'RemovePodSandbox', req, this.runtimeRequestTimeoutMs, opts);
  }
  podSandboxStatus(req: cri.PodSandboxStatusRequest, opts?: CallOptions): Promise<cri.PodSandboxStatusResponse> {
    return this.call('runtime', 'PodSandboxStatus', req, this.runtimeRequestTimeoutMs, opts);
  }
  listPodSandbox(req: cri.ListPodSandboxRequest = {}, opts?: CallOptions): Promise<cri.ListPodSandboxResponse> {
    return this.call('runtime', 'ListPodSandbox', req, this.runtimeRequestTimeoutMs, opts);
  }
  createContainer(req: cri.CreateContainerRequest, opts?: CallOptions): Promise<cri.CreateContainerResponse> {
    return this.call('runtime', 'CreateContainer', req, this.runtimeRequestTimeoutMs, opts);
  }
  startContainer(req: cri.ContainerIdRequest, opts?: CallOptions): Promise<cri.Empty> {
    return this.call('runtime', 'StartContainer', req, this.runtimeRequestTimeoutMs, opts);
  }
  /** Deadline = the stop timeout plus the ordinary request timeout, as in the kubelet. */
  stopContainer(req: cri.StopContainerRequest, opts?: CallOptions): Promise<cri.Empty> {
    return this.call('runtime', 'StopContainer', req, req.timeout * 1000 + this.runtimeRequestTimeoutMs, opts);
  }
  removeContainer(req: cri.ContainerIdRequest, opts?: CallOptions): Promise<cri.Empty> {
    return this.call('runtime', 'RemoveContainer', req, this.runtimeRequestTimeoutMs, opts);
  }
  listContainers(req: cri.ListContainersRequest = {}, opts?: CallOptions): Promise<cri.ListContainersResponse> {
    return this.call('runtime', 'ListContainers', req, this.runtimeRequestTimeoutMs, opts);
  }
  containerStatus(req: cri.ContainerStatusRequest, opts?: CallOptions): Promise<cri.ContainerStatusResponse> {
    return this.call('runtime', 'ContainerStatus', req, this.runtimeRequestTimeoutMs, opts);
  }
  /**
   * timeout 0 (hooks) means no deadline at all; otherwise the deadline is the
   * exec timeout plus the request timeout, and DEADLINE_EXCEEDED comes back
   * as ExecTimeoutError.
   */
  execSync(req: cri.ExecSyncRequest, opts?: CallOptions): Promise<cri.ExecSyncResponse> {
    const t = req.timeout ?? 0;
    return this.call('runtime', 'ExecSync', req, t === 0 ? 0 : t * 1000 + this.runtimeRequestTimeoutMs, opts);
  }
  /** Log rotation: the runtime closes the container's log file and opens a new one at the same path. */
  reopenContainerLog(req: cri.ContainerIdRequest, opts?: CallOptions): Promise<cri.Empty> {
    return this.call('runtime', 'ReopenContainerLog', req, this.runtimeRequestTimeoutMs, opts);
  }
  containerStats(req: cri.ContainerIdRequest, opts?: CallOptions): Promise<cri.ContainerStatsResponse> {
    return this.call('runtime', 'ContainerStats', req, this.runtimeRequestTimeoutMs, opts);
  }

  /**
   * The runtime's container event stream (Evented PLEG). Errors arrive as
   * CriError (CriUnimplementedError on containerd 1.6); unsubscribing cancels.
   */
  getContainerEvents(): Observable<cri.ContainerEventResponse> {
    const method = 'RuntimeService/GetContainerEvents';
    return new Observable<cri.ContainerEventResponse>((sub) => {
      const fn = (this.runtime as unknown as Record<string, (req: unknown, md: grpc.Metadata) => grpc.ClientReadableStream<cri.ContainerEventResponse>>)['GetContainerEvents']!;
      const call = fn.call(this.runtime, {}, new grpc.Metadata());
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
    return this.call('image', 'ListImages', req, this.runtimeRequestTimeoutMs, opts);
  }
  imageStatus(req: cri.ImageStatusRequest, opts?: CallOptions): Promise<cri.ImageStatusResponse> {
    return this.call('image', 'ImageStatus', req, this.runtimeRequestTimeoutMs, opts);
  }
  /** Pulls have no deadline in the kubelet (they may take minutes); cancel with a signal. */
  pullImage(req: cri.PullImageRequest, opts?: CallOptions): Promise<cri.PullImageResponse> {
    return this.call('image', 'PullImage', req, 0, opts);
  }
  removeImage(req: cri.RemoveImageRequest, opts?: CallOptions): Promise<cri.Empty> {
    return this.call('image', 'RemoveImage', req, this.runtimeRequestTimeoutMs, opts);
  }
  imageFsInfo(opts?: CallOptions): Promise<cri.ImageFsInfoResponse> {
    return this.call('image', 'ImageFsInfo', {}, this.runtimeRequestTimeoutMs, opts);
  }

  // ------------------------------------------------------------ plumbing

  private call<Res>(svc: 'runtime' | 'image', rpc: string, req: unknown, deadlineMs: number, opts?: CallOptions): Promise<Res> {
    const method = `${svc === 'runtime' ? 'RuntimeService' : 'ImageService'}/${rpc}`;
    const client = svc === 'runtime' ? this.runtime : this.image;
    const signal = opts?.signal;
    const timeout = opts?.timeoutMs ?? deadlineMs;
    return new Promise<Res>((resolve, reject) => {
      if (signal?.aborted) {
        reject(new CriAbortedError(method, this.endpoint, grpc.status.CANCELLED, GO_CONTEXT_CANCELED));
        return;
      }
      const callOpts: grpc.CallOptions = timeout > 0 ? { deadline: Date.now() + timeout } : {};
      let aborted = false;
      const fn = (client as unknown as Record<string, UnaryMethod>)[rpc]!;
      const onAbort = () => {
        aborted = true;
        call.cancel();
      };
      const call = fn.call(client, req, new grpc.Metadata(), callOpts, (err, res) => {
        signal?.removeEventListener('abort', onAbort);
        if (err) reject(toCriError(method, this.endpoint, err, aborted));
        else resolve(res as Res);
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
