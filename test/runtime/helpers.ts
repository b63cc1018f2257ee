import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CriClient } from '../../src/cri/client.js';
import type * as cri from '../../src/cri/types.js';
import { startEmbeddedRuntime, type EmbeddedRuntime, type EmbeddedRuntimeOptions } from '../../src/runtime/index.js';

export const IMAGE = 'localhost/busybox:local';

export interface Harness {
  rt: EmbeddedRuntime;
  cri: CriClient;
  close(): Promise<void>;
}

export async function startHarness(opts: EmbeddedRuntimeOptions & { killOnClose?: boolean } = {}): Promise<Harness> {
  const rt = await startEmbeddedRuntime(opts);
  const cri = new CriClient({ endpoint: rt.endpoint, runtimeRequestTimeoutMs: 10_000 });
  return {
    rt,
    cri,
    async close() {
      cri.close();
      await rt.close();
    },
  };
}

let seq = 0;
export function sandboxConfig(h: Harness, name = `pod${++seq}`, extra: Partial<cri.PodSandboxConfig> = {}): cri.PodSandboxConfig {
  return {
    metadata: { name, uid: `uid-${name}`, namespace: 'default', attempt: 0 },
    logDirectory: join(h.rt.stateDir, 'pods', name),
    labels: { app: name },
    ...extra,
  };
}

export interface Pod {
  id: string;
  config: cri.PodSandboxConfig;
}

export async function runPod(h: Harness, name?: string, extra?: Partial<cri.PodSandboxConfig>): Promise<Pod> {
  const config = sandboxConfig(h, name, extra);
  const { podSandboxId } = await h.cri.runPodSandbox({ config });
  return { id: podSandboxId, config };
}

export function containerConfig(name: string, command: string[], extra: Partial<cri.ContainerConfig> = {}): cri.ContainerConfig {
  return { metadata: { name, attempt: 0 }, image: { image: IMAGE }, command, logPath: `${name}/0.log`, ...extra };
}

export async function create(h: Harness, pod: Pod, name: string, command: string[], extra?: Partial<cri.ContainerConfig>): Promise<string> {
  const { containerId } = await h.cri.createContainer({ podSandboxId: pod.id, sandboxConfig: pod.config, config: containerConfig(name, command, extra) });
  return containerId;
}

export async function run(h: Harness, pod: Pod, name: string, command: string[], extra?: Partial<cri.ContainerConfig>): Promise<string> {
  const id = await create(h, pod, name, command, extra);
  await h.cri.startContainer({ containerId: id });
  return id;
}

export async function status(h: Harness, id: string): Promise<cri.ContainerStatus> {
  return (await h.cri.containerStatus({ containerId: id })).status!;
}

/** Polls (test-side only) until `fn` returns a truthy value; fails after `ms`. */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | null | false>, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function waitExited(h: Harness, id: string, ms = 5000): Promise<cri.ContainerStatus> {
  return waitFor(`container ${id} to exit`, async () => {
    const s = await status(h, id);
    return s.state === 'CONTAINER_EXITED' ? s : null;
  }, ms);
}

export async function readLog(pod: Pod, name: string): Promise<string> {
  return readFile(join(pod.config.logDirectory!, `${name}/0.log`), 'utf8').catch(() => '');
}

/** Asserts an async call fails with a CriError of the given gRPC code name; returns it. */
export async function rejectsWith(p: Promise<unknown>, codeName: string, includes?: string | RegExp): Promise<{ codeName: string; details: string }> {
  try {
    await p;
  } catch (err) {
    const e = err as { codeName?: string; details?: string };
    if (e.codeName !== codeName) throw new Error(`expected ${codeName}, got ${e.codeName}: ${e.details ?? String(err)}`);
    if (includes !== undefined) {
      const ok = typeof includes === 'string' ? e.details!.includes(includes) : includes.test(e.details!);
      if (!ok) throw new Error(`error details ${JSON.stringify(e.details)} do not match ${String(includes)}`);
    }
    return e as { codeName: string; details: string };
  }
  throw new Error(`expected the call to fail with ${codeName}, but it succeeded`);
}

/** Zombies count as dead: orphaned processes wait for PID 1 to reap them (slowly, on these machines). */
export function alive(pid: number): boolean {
  try {
    const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return st[st.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
}
