import * as grpc from '@grpc/grpc-js';
import { loadCriProto } from '../cri/proto.js';
import { RuntimeError } from './errors.js';
import type { FaultEngine } from './faults.js';
import type { RuntimeCore } from './runtime.js';

const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

type Req = Record<string, any>;
type Call = grpc.ServerUnaryCall<Req, unknown>;
type Handler = (req: Req, call: Call) => unknown;

function toStatus(err: unknown): Partial<grpc.StatusObject> {
  if (err instanceof RuntimeError) return { code: err.code, details: err.message };
  // Anything else is a bug or an fs error: report it, never crash the server.
  return { code: grpc.status.UNKNOWN, details: err instanceof Error ? err.message : String(err) };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Wires RuntimeCore to the CRI v1 RuntimeService and ImageService, with fault injection first. */
export function buildCriServer(core: RuntimeCore, faults: FaultEngine, log: (m: string) => void): { server: grpc.Server; endStreams: () => void } {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  });
  const streams = new Set<grpc.ServerWritableStream<Req, unknown>>();

  /**
   * Applies a matching fault: delay, then fail (code) or never answer (hang).
   * Resolves to 'proceed' when the real handler should run.
   */
  async function applyFault(method: string, req: Req, isCancelled: () => boolean, whenCancelled: Promise<void>): Promise<'proceed' | 'stop'> {
    if (!faults.hasCandidates(method)) return 'proceed';
    const hit = faults.match(method, () => core.faultSubject(method, req));
    if (!hit) return 'proceed';
    if (hit.delayMs > 0) await Promise.race([sleep(hit.delayMs), whenCancelled]);
    if (isCancelled()) return 'stop';
    if (hit.hang) {
      await whenCancelled;
      return 'stop';
    }
    if (hit.code !== undefined) {
      if (method === 'StartContainer' && hit.leaveExited) core.failStartByFault(String(req['containerId'] ?? ''), hit.message);
      throw new RuntimeError(hit.code, hit.message);
    }
    return 'proceed';
  }

  function unary(method: string, fn: Handler): grpc.handleUnaryCall<Req, unknown> {
    return (call, callback) => {
      let cancelled = false;
      const whenCancelled = new Promise<void>((r) =>
        call.once('cancelled', () => {
          cancelled = true;
          r();
        }),
      );
      (async () => {
        if ((await applyFault(method, call.request, () => cancelled, whenCancelled)) === 'stop') return undefined;
        return { res: await fn(call.request, call) };
      })().then(
        (out) => {
          if (out && !cancelled) callback(null, out.res);
        },
        (err) => {
          if (!(err instanceof RuntimeError)) log(`${method} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
          if (!cancelled) callback(toStatus(err) as grpc.ServiceError);
        },
      );
    };
  }

  const runtimeImpl: grpc.UntypedServiceImplementation = {
    Version: unary('Version', () => core.version()),
    Status: unary('Status', (r) => core.status(r.verbose === true)),
    RunPodSandbox: unary('RunPodSandbox', (r) => core.runPodSandbox(r)),
    StopPodSandbox: unary('StopPodSandbox', async (r) => (await core.stopPodSandbox(String(r.podSandboxId ?? '')), {})),
    RemovePodSandbox: unary('RemovePodSandbox', async (r) => (await core.removePodSandbox(String(r.podSandboxId ?? '')), {})),
    PodSandboxStatus: unary('PodSandboxStatus', (r) => core.podSandboxStatus(String(r.podSandboxId ?? ''), r.verbose === true)),
    ListPodSandbox: unary('ListPodSandbox', (r) => core.listPodSandbox(r.filter)),
    CreateContainer: unary('CreateContainer', (r) => core.createContainer(r)),
    StartContainer: unary('StartContainer', async (r) => (await core.startContainer(String(r.containerId ?? '')), {})),
    StopContainer: unary('StopContainer', async (r) => (await core.stopContainer(String(r.containerId ?? ''), Number(r.timeout ?? 0)), {})),
    RemoveContainer: unary('RemoveContainer', async (r) => (await core.removeContainer(String(r.containerId ?? '')), {})),
    ListContainers: unary('ListContainers', (r) => core.listContainers(r.filter)),
    ContainerStatus: unary('ContainerStatus', (r) => core.containerStatus(String(r.containerId ?? ''), r.verbose === true)),
    UpdateContainerResources: unary('UpdateContainerResources', (r) => (core.updateContainerResources(String(r.containerId ?? ''), r.linux), {})),
    ExecSync: unary('ExecSync', (r, call) =>
      core.execSync(String(r.containerId ?? ''), (r.cmd as string[] | undefined) ?? [], Number(r.timeout ?? 0), (fn) => call.once('cancelled', fn)),
    ),
    ContainerStats: unary('ContainerStats', (r) => core.containerStats(String(r.containerId ?? ''))),
    ReopenContainerLog: unary('ReopenContainerLog', async (r) => (await core.reopenContainerLog(String(r.containerId ?? '')), {})),
    ListContainerStats: unary('ListContainerStats', (r) => core.listContainerStats(r.filter)),
    GetContainerEvents: (call: grpc.ServerWritableStream<Req, unknown>) => {
      let cancelled = false;
      let unsubscribe: (() => void) | null = null;
      const whenCancelled = new Promise<void>((r) =>
        call.once('cancelled', () => {
          cancelled = true;
          streams.delete(call);
          unsubscribe?.();
          r();
        }),
      );
      applyFault('GetContainerEvents', call.request, () => cancelled, whenCancelled).then(
        (d) => {
          if (d === 'stop' || cancelled) return;
          streams.add(call);
          unsubscribe = core.subscribe((ev) => {
            if (!cancelled) call.write(ev);
          });
        },
        (err) => call.emit('error', toStatus(err)),
      );
    },
  };
  const imageImpl: grpc.UntypedServiceImplementation = {
    ListImages: unary('ListImages', (r) => core.listImages(r.filter)),
    ImageStatus: unary('ImageStatus', (r) => core.imageStatus(r)),
    PullImage: unary('PullImage', (r) => core.pullImage(r)),
    RemoveImage: unary('RemoveImage', (r) => (core.removeImage(r), {})),
    ImageFsInfo: unary('ImageFsInfo', () => core.imageFsInfo()),
  };
  const { pkg } = loadCriProto();
  server.addService(pkg.RuntimeService.service, runtimeImpl);
  server.addService(pkg.ImageService.service, imageImpl);
  return {
    server,
    endStreams: () => {
      for (const s of streams) s.end();
      streams.clear();
    },
  };
}
