// A simulated runtime for the charts: fake actors that answer at once, log the
// CRI calls in order, and a SimulatedClock that drives every delay. Nothing
// here waits on real time.
import { createActor, fromPromise, SimulatedClock, type Actor } from 'xstate';
import { containerMachine, type ContainerConfig } from '../../machines/container/index.js';
import { podMachine } from '../../machines/pod/index.js';
import type { EventRecord, InstanceStatus, RunHandlerInput } from '../../machines/types.js';
import { loadPod } from '../../src/k8s/manifest.js';
import type { Pod, PodStatus } from '../../src/k8s/types.js';
import { podStatusFrom, topState } from '../../src/status.js';
import { stateString } from '../../src/manager.js';

export const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);

export interface Call {
  at: number;
  call: string;
  detail?: Record<string, unknown>;
}

export interface HarnessOptions {
  images?: string[];
  config?: Partial<ContainerConfig>;
  podWorkerRetryMs?: number;
  /** Make a call fail: return an Error (thrown by the fake actor) or undefined to proceed. */
  fail?: (call: string, input: Record<string, unknown>) => Error | undefined;
  /** How long (simulated ms) a hook takes; default 0. */
  hookDurationMs?: (input: RunHandlerInput) => number;
  /** Hook failure message, by hook; undefined = success. */
  hookError?: (input: RunHandlerInput) => string | undefined;
  /** Exit code of a container stopped by StopContainer (137 = SIGKILL; 0 = it trapped SIGTERM). */
  stopExitCode?: number;
  /** How long (simulated ms) StopContainer takes for a container; default 0. */
  stopDurationMs?: (name: string | undefined) => number;
  /** How long (simulated ms) UpdateContainerResources takes; default 0. */
  updateDurationMs?: number;
  /** The node's capacity for the resize check (KEP-1287); none: no check. */
  node?: { cpuMillis: number; memoryBytes: number };
}

export async function flush(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

export class Harness {
  readonly clock = new SimulatedClock();
  readonly calls: Call[] = [];
  readonly events: EventRecord[] = [];
  readonly images: Set<string>;
  readonly pod: Pod;
  actor!: Actor<typeof podMachine>;
  private nextId = 1;
  /** Container id -> instance status as the fake runtime knows it. */
  readonly instances = new Map<string, InstanceStatus & { name: string }>();
  private previousStatus?: PodStatus;

  constructor(manifest: string | Pod, private readonly opts: HarnessOptions = {}) {
    this.clock.set(T0);
    this.pod = typeof manifest === 'string' ? loadPod(manifest) : manifest;
    this.images = new Set(opts.images ?? []);
  }

  private log(call: string, detail?: Record<string, unknown>): void {
    this.calls.push({ at: this.clock.now(), call, detail });
  }

  private maybeFail(call: string, input: Record<string, unknown>): void {
    const err = this.opts.fail?.(call, input);
    if (err) {
      (err as Error & { at?: number }).at = this.clock.now();
      throw err;
    }
  }

  machine() {
    const clock = this.clock;
    const container = containerMachine.provide({
      actors: {
        inspectImage: fromPromise(async ({ input }) => {
          this.log('ImageStatus', { image: input.image });
          this.maybeFail('ImageStatus', input as never);
          return this.images.has(input.image) ? { present: true, imageRef: `sha256:${input.image}`, size: 100 } : { present: false };
        }),
        pullImage: fromPromise(async ({ input }) => {
          this.log('PullImage', { image: input.image });
          this.maybeFail('PullImage', input as never);
          this.images.add(input.image);
          return { imageRef: `sha256:${input.image}`, size: 100, pullMs: 5, totalMs: 5 };
        }),
        createContainer: fromPromise(async ({ input }) => {
          this.log('CreateContainer', { name: input.container.name, attempt: input.restartCount, sandbox: input.sandbox.id });
          this.maybeFail('CreateContainer', { name: input.container.name });
          const id = `c${this.nextId++}-${input.container.name}`;
          this.instances.set(id, { id, name: input.container.name, state: 'created', createdAt: clock.now() });
          return { containerId: id };
        }),
        startContainer: fromPromise(async ({ input }) => {
          const inst = this.instances.get(input.containerId)!;
          this.log('StartContainer', { name: inst.name, id: input.containerId });
          this.maybeFail('StartContainer', { name: inst.name });
          inst.state = 'running';
          inst.startedAt = clock.now();
          return { startedAt: clock.now() };
        }),
        runHandler: fromPromise(async ({ input, signal }) => {
          const startedAt = clock.now();
          this.log(`RunHandler ${input.hook}`, { name: input.container.name });
          const ms = this.opts.hookDurationMs?.(input) ?? 0;
          if (ms > 0) {
            await new Promise<void>((resolve, reject) => {
              const t = clock.setTimeout(() => resolve(), ms);
              signal.addEventListener('abort', () => {
                clock.clearTimeout(t);
                this.log(`HandlerCancelled ${input.hook}`, { name: input.container.name });
                reject(new Error('cancelled'));
              });
            });
          }
          const msg = this.opts.hookError?.(input);
          if (msg) throw Object.assign(new Error(msg), { at: clock.now() });
          return { startedAt, finishedAt: clock.now() };
        }),
        stopContainer: fromPromise(async ({ input }) => {
          const inst = this.instances.get(input.containerId);
          this.log('StopContainer', { name: inst?.name, timeout: input.timeoutSeconds });
          this.maybeFail('StopContainer', { name: inst?.name });
          const stopMs = this.opts.stopDurationMs?.(inst?.name) ?? 0;
          if (stopMs > 0) await new Promise<void>((resolve) => clock.setTimeout(() => resolve(), stopMs));
          if (!inst) throw Object.assign(new Error('not found'), { name: 'CriNotFoundError', at: clock.now() });
          if (inst.state === 'running') {
            inst.state = 'exited';
            inst.exitCode = this.opts.stopExitCode ?? 137;
            inst.reason = inst.exitCode === 0 ? 'Completed' : 'Error';
            inst.finishedAt = clock.now();
          }
          return { ...inst, finishedAt: inst.finishedAt ?? clock.now() };
        }),
        removeContainer: fromPromise(async ({ input }) => {
          this.log('RemoveContainer', { id: input.containerId });
          this.instances.delete(input.containerId);
        }),
        updateContainerResources: fromPromise(async ({ input }) => {
          const inst = this.instances.get(input.containerId);
          const resources = 'resources' in input ? input.resources : { memoryLimit: input.container.resources?.limits?.['memory'], cpuLimit: input.container.resources?.limits?.['cpu'] };
          this.log('UpdateContainerResources', { name: inst?.name, ...resources });
          this.maybeFail('UpdateContainerResources', { name: inst?.name });
          const ms = this.opts.updateDurationMs ?? 0;
          if (ms > 0) await new Promise<void>((resolve) => clock.setTimeout(() => resolve(), ms));
          if (!inst) throw Object.assign(new Error('not found'), { name: 'CriNotFoundError', at: clock.now() });
          return { resources: {}, at: clock.now() };
        }),
      },
    });
    let sandboxes = 0;
    return podMachine.provide({
      actors: {
        container,
        runPodSandbox: fromPromise(async ({ input }) => {
          this.log('RunPodSandbox', { attempt: input.attempt });
          this.maybeFail('RunPodSandbox', {});
          const id = `sb${++sandboxes}`;
          return { id, ip: '127.0.0.1', attempt: input.attempt, config: { metadata: { name: input.pod.metadata.name, uid: input.pod.metadata.uid!, namespace: 'default', attempt: input.attempt } } };
        }),
        stopPodSandbox: fromPromise(async ({ input }) => {
          this.log('StopPodSandbox', { id: input.sandboxId });
        }),
        removePodSandbox: fromPromise(async ({ input }) => {
          this.log('RemovePodSandbox', { ids: input.sandboxIds });
        }),
        removeContainers: fromPromise(async ({ input }) => {
          for (const id of input.containerIds) {
            this.log('RemoveContainer', { id });
            this.instances.delete(id);
          }
        }),
      },
    });
  }

  async start(): Promise<this> {
    this.actor = createActor(this.machine(), {
      input: { pod: this.pod, now: this.clock.now(), config: { container: this.opts.config ?? {}, podWorkerRetryMs: this.opts.podWorkerRetryMs ?? 10_000, node: this.opts.node } },
      clock: this.clock,
    });
    this.actor.on('k8s.event', (e) => this.events.push(e.event));
    this.actor.start();
    await flush();
    return this;
  }

  /** Moves simulated time forward in steps, letting async actors answer in between. */
  async advance(ms: number, step = 250): Promise<void> {
    let left = ms;
    while (left > 0) {
      const d = Math.min(step, left);
      this.clock.increment(d);
      left -= d;
      await flush();
    }
  }

  /** The runtime reports that a container's current instance exited. */
  async exit(name: string, exitCode: number, reason = exitCode === 0 ? 'Completed' : 'Error'): Promise<void> {
    const inst = [...this.instances.values()].filter((i) => i.name === name && i.state === 'running').pop();
    if (!inst) throw new Error(`no running instance of ${name}`);
    inst.state = 'exited';
    inst.exitCode = exitCode;
    inst.reason = reason;
    inst.finishedAt = this.clock.now();
    this.actor.send({ type: 'RUNTIME.CONTAINER', name, status: { ...inst }, at: this.clock.now() });
    await flush();
  }

  send(ev: Parameters<Actor<typeof podMachine>['send']>[0]): Promise<void> {
    this.actor.send(ev);
    return flush();
  }

  containerState(name: string): string {
    const ref = this.actor.getSnapshot().context.refs[name];
    return ref ? stateString(ref.getSnapshot().value) : '(none)';
  }

  containerContext(name: string) {
    return this.actor.getSnapshot().context.refs[name]!.getSnapshot().context;
  }

  podState(): string {
    return stateString(this.actor.getSnapshot().value);
  }

  podTopState(): string {
    return topState(this.actor.getSnapshot().value);
  }

  status(): PodStatus {
    const s = podStatusFrom(this.actor.getSnapshot(), { runtimeName: 'fake', now: this.clock.now(), previous: this.previousStatus });
    this.previousStatus = s;
    return s;
  }

  callNames(filter?: (c: Call) => boolean): string[] {
    return this.calls.filter(filter ?? (() => true)).map((c) => c.call);
  }

  eventReasons(): string[] {
    return this.events.map((e) => e.reason);
  }

  /** Times (ms after T0) of each StartContainer of a container. */
  startTimes(name: string): number[] {
    return this.calls.filter((c) => c.call === 'StartContainer' && c.detail?.['name'] === name).map((c) => c.at - T0);
  }
}

export function podYaml(spec: string, extra = ''): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: web
  uid: 11111111-2222-3333-4444-555555555555
${extra}spec:
${spec}`;
}
