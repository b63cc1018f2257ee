// Adoption: a restarted statelet takes over what the runtime already runs for its
// pods instead of making it again. Two pieces, both below the charts:
//
// - AdoptingCriClient: RunPodSandbox / CreateContainer / StartContainer that find
//   the pod's own object already there (the name is "reserved for" it, or it already
//   runs) answer with that object instead of failing or making a duplicate. This
//   covers a crash in the middle of a call: the runtime finished what the old agent
//   asked, and the restored chart asks again.
// - adoptionActors(): instances the agent found running when it started are not
//   started again (StartContainer answers with their real start time) and their
//   postStart hook is not run again; an interrupted preStop is not run again either
//   (the kill goes on with the grace that is left).
import { fromPromise } from 'xstate';
import { delegate } from '../actors/delegate.js';
import { CriClient, type CriClientOptions } from '../cri/client.js';
import { CriError } from '../cri/errors.js';
import type * as cri from '../cri/types.js';
import type { RuntimeActors } from '../actors/index.js';
import { CONTAINER_NAME_LABEL, POD_UID_LABEL } from '../kuberuntime/labels.js';
import type { RunHandlerInput, RunHandlerOutput, StartContainerInput, StartContainerOutput } from '../../machines/types.js';

type CallOptions = Parameters<CriClient['runPodSandbox']>[1];

/** `... is reserved for "<id>"` (containerd's and the embedded runtime's name reservation). */
export function reservedHolder(err: unknown): string | undefined {
  const text = err instanceof CriError ? err.details : err instanceof Error ? err.message : String(err);
  return /is reserved for \\?"([0-9a-zA-Z]+)\\?"/.exec(text)?.[1];
}

export interface AdoptingCriClientOptions extends CriClientOptions {
  /** Labels every sandbox gets (statelet serve: the node name, for orphan cleanup). */
  sandboxLabels?: Record<string, string>;
  /** Instances found already running are recorded here (no second start, no second postStart). */
  registry?: AdoptionRegistry;
  log?: (msg: string) => void;
}

const nsToMs = (v: string | number | undefined): number => {
  try {
    return Number(BigInt(v ?? 0) / 1_000_000n);
  } catch {
    return 0;
  }
};

export class AdoptingCriClient extends CriClient {
  private readonly sandboxLabels?: Record<string, string>;
  private readonly logFn: (msg: string) => void;
  private readonly registry?: AdoptionRegistry;

  constructor(opts: AdoptingCriClientOptions) {
    super(opts);
    this.sandboxLabels = opts.sandboxLabels;
    this.registry = opts.registry;
    this.logFn = opts.log ?? (() => {});
  }

  override async runPodSandbox(req: cri.RunPodSandboxRequest, opts?: CallOptions): Promise<cri.RunPodSandboxResponse> {
    // In place: the caller keeps this config as the sandbox's (CreateContainer sends it back).
    if (this.sandboxLabels) req.config.labels = Object.assign(req.config.labels ?? {}, this.sandboxLabels);
    try {
      return await super.runPodSandbox(req, opts);
    } catch (err) {
      const holder = reservedHolder(err);
      if (!holder) throw err;
      const st = (await super.podSandboxStatus({ podSandboxId: holder }, opts).catch(() => null))?.status;
      const uid = req.config.metadata?.uid;
      if (st && st.state === 'SANDBOX_READY' && uid && (st.labels[POD_UID_LABEL] ?? st.metadata?.uid) === uid) {
        this.logFn(`adopted sandbox ${holder} of pod ${req.config.metadata?.namespace}/${req.config.metadata?.name} (attempt ${req.config.metadata?.attempt}) instead of creating it again`);
        return { podSandboxId: holder };
      }
      throw err;
    }
  }

  override async createContainer(req: cri.CreateContainerRequest, opts?: CallOptions): Promise<cri.CreateContainerResponse> {
    for (let tries = 0; ; tries++) {
      try {
        return await super.createContainer(req, opts);
      } catch (err) {
        const holder = reservedHolder(err);
        if (!holder || tries > 0) throw err;
        const st = (await super.containerStatus({ containerId: holder }, opts).catch(() => null))?.status;
        const labels = req.config.labels ?? {};
        const same = st && st.labels[POD_UID_LABEL] === labels[POD_UID_LABEL] && st.labels[CONTAINER_NAME_LABEL] === labels[CONTAINER_NAME_LABEL] && st.metadata?.attempt === req.config.metadata?.attempt;
        if (!st || !same) throw err;
        if (st.state === 'CONTAINER_CREATED' || st.state === 'CONTAINER_RUNNING') {
          if (st.state === 'CONTAINER_RUNNING') this.registry?.running.set(holder, nsToMs(st.startedAt));
          this.logFn(`adopted container ${holder} (${labels[CONTAINER_NAME_LABEL]}, attempt ${req.config.metadata?.attempt}) instead of creating it again`);
          return { containerId: holder };
        }
        // An instance of this attempt that already ended: it is history, not the one asked for.
        await super.removeContainer({ containerId: holder }, opts).catch(() => {});
      }
    }
  }

  override async startContainer(req: cri.ContainerIdRequest, opts?: CallOptions): Promise<cri.Empty> {
    try {
      return await super.startContainer(req, opts);
    } catch (err) {
      const st = (await super.containerStatus({ containerId: req.containerId }, opts).catch(() => null))?.status;
      if (st?.state === 'CONTAINER_RUNNING') {
        // Started by the agent before this one (its StartContainer reached the runtime).
        this.registry?.running.set(req.containerId, nsToMs(st.startedAt));
        return {};
      }
      throw err;
    }
  }
}

/** What the reconciliation decided about instances the runtime already runs. */
export class AdoptionRegistry {
  /** Instances found running at adoption: container id -> their real start time (epoch ms). */
  readonly running = new Map<string, number>();
  /** Instances whose preStop was interrupted by the restart: not run again. */
  readonly skipPreStop = new Set<string>();

  forget(containerIds: Iterable<string>): void {
    for (const id of containerIds) {
      this.running.delete(id);
      this.skipPreStop.delete(id);
    }
  }
}

/**
 * Wraps startContainer and runHandler (see the file comment). Everything else, and
 * every instance the registry does not name, goes to the actor it replaces.
 */
export function adoptionActors(registry: AdoptionRegistry, now: () => number = Date.now) {
  return (actors: RuntimeActors): Partial<RuntimeActors> => {
    return {
      startContainer: fromPromise<StartContainerOutput, StartContainerInput>(async ({ input, signal }) => {
        const startedAt = registry.running.get(input.containerId);
        if (startedAt !== undefined) return { startedAt };
        return delegate(actors.startContainer, input, signal);
      }),
      runHandler: fromPromise<RunHandlerOutput, RunHandlerInput>(async ({ input, signal }) => {
        const id = input.containerId;
        // Hooks run at least once (the kubelet's contract) and, here, at most once per instance
        // across restarts: a postStart ran (or was running) when the previous agent went away.
        if (input.hook === 'PostStart' && registry.running.has(id)) {
          const t = now();
          return { startedAt: t, finishedAt: t };
        }
        if (input.hook === 'PreStop' && registry.skipPreStop.delete(id)) {
          const t = now();
          return { startedAt: t, finishedAt: t };
        }
        return delegate(actors.runHandler, input, signal);
      }),
    };
  };
}
