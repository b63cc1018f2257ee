// Drives `statelet serve` (and `statelet run`) as separate processes for the
// end-to-end tests, and reads the runtime's truth back through the CRI. Each test
// gets its own node name and root dir, so agents sharing one containerd never see
// each other's pods; cleanup() removes whatever a failed test left behind.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { CriClient } from '../../src/cri/client.js';
import type { ContainerStatus, PodSandbox } from '../../src/cri/types.js';
import { MANAGED_BY_LABEL, POD_UID_LABEL } from '../../src/kuberuntime/labels.js';
import { NODE_NAME_LABEL } from '../../src/node/runtime-view.js';

export const root = fileURLToPath(new URL('../../..', import.meta.url));
// STATELET_BIN runs another checkout's CLI (e.g. the code before a change, to see a test fail there).
export const bin = process.env['STATELET_BIN'] || join(root, 'bin', 'statelet.js');

export interface Target {
  name: 'embedded' | 'containerd';
  image: string;
  /** containerd's endpoint; undefined: the embedded runtime `serve` starts under its root dir. */
  endpoint?: string;
}

export function targets(): Target[] {
  const t: Target[] = [{ name: 'embedded', image: 'busybox:1.36' }];
  const e = process.env['STATELET_CONTAINERD_ENDPOINT']?.trim();
  if (e) t.push({ name: 'containerd', image: 'localhost/busybox:local', endpoint: e });
  return t;
}

export type Line = Record<string, any>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A CLI process whose stdout is NDJSON. */
export class Proc {
  readonly lines: Line[] = [];
  stderr = '';
  readonly exited: Promise<number>;
  readonly proc: ChildProcessWithoutNullStreams;
  private waiters: { pred: (l: Line) => boolean; resolve: (l: Line) => void }[] = [];

  constructor(args: string[], opts: { detached?: boolean; env?: NodeJS.ProcessEnv } = {}) {
    this.proc = spawn(process.execPath, [bin, ...args], { cwd: root, detached: opts.detached, env: opts.env ?? process.env });
    all.add(this);
    let buf = '';
    this.proc.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const raw = buf.slice(0, i);
        buf = buf.slice(i + 1);
        let line: Line;
        try {
          line = JSON.parse(raw) as Line;
        } catch {
          line = { kind: 'Text', text: raw };
        }
        this.lines.push(line);
        this.waiters = this.waiters.filter((w) => (w.pred(line) ? (w.resolve(line), false) : true));
      }
    });
    this.proc.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((r) => this.proc.on('exit', (code, sig) => r(code ?? (sig ? 128 : -1))));
  }

  get pid(): number {
    return this.proc.pid!;
  }

  waitFor(pred: (l: Line) => boolean, what: string, timeoutMs = 30_000): Promise<Line> {
    const found = this.lines.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const t = setTimeout(
        () => reject(new Error(`timed out waiting for ${what}\nstderr:\n${this.stderr.slice(-4000)}\nlast lines:\n${this.lines.slice(-15).map((l) => JSON.stringify(l).slice(0, 400)).join('\n')}`)),
        timeoutMs,
      );
      this.waiters.push({ pred, resolve: (l) => (clearTimeout(t), resolve(l)) });
    });
  }

  async waitForStderr(re: RegExp, timeoutMs = 20_000): Promise<void> {
    const t0 = Date.now();
    while (!re.test(this.stderr)) {
      if (Date.now() - t0 > timeoutMs) throw new Error(`stderr never matched ${re}:\n${this.stderr.slice(-4000)}`);
      await sleep(25);
    }
  }

  events(reason?: string): Line[] {
    return this.lines.filter((l) => l['kind'] === 'Event' && (!reason || l['reason'] === reason));
  }

  /** The newest status line of each pod, by UID. */
  latest(): Map<string, Line> {
    const m = new Map<string, Line>();
    for (const l of this.lines) if (l['kind'] === 'Pod') m.set(l['metadata']['uid'], l);
    return m;
  }

  kill(sig: NodeJS.Signals): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill(sig);
  }
}

const all = new Set<Proc>();

export const containerStatus = (l: Line, name: string): Line | undefined => (l['status']?.['containerStatuses'] ?? []).find((c: Line) => c['name'] === name);
export const isRunning = (l: Line | undefined): boolean =>
  !!l && l['kind'] === 'Pod' && l['status']?.['phase'] === 'Running' && (l['status']?.['containerStatuses'] ?? []).every((c: Line) => !!c['state']?.['running']);

export function manifest(name: string, image: string, opts: { cmd?: string; grace?: number; extra?: string; uid?: string; postStart?: string; preStop?: string; restartPolicy?: string } = {}): string {
  const cmd = opts.cmd ?? "trap 'exit 0' TERM; while true; do sleep 0.2; done";
  let lifecycle = '';
  if (opts.postStart || opts.preStop) {
    lifecycle = '    lifecycle:\n';
    if (opts.postStart) lifecycle += `      postStart: { exec: { command: ["sh", "-c", ${JSON.stringify(opts.postStart)}] } }\n`;
    if (opts.preStop) lifecycle += `      preStop: { exec: { command: ["sh", "-c", ${JSON.stringify(opts.preStop)}] } }\n`;
  }
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
${opts.uid ? `  uid: ${opts.uid}\n` : ''}spec:
  terminationGracePeriodSeconds: ${opts.grace ?? 2}
  restartPolicy: ${opts.restartPolicy ?? 'Always'}
  containers:
  - name: app
    image: ${image}
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", ${JSON.stringify(cmd)}]
${lifecycle}${opts.extra ?? ''}`;
}

/** One test's node: its own name, manifest dir and root dir. */
export class Node {
  readonly name: string;
  readonly dir: string;
  readonly manifests: string;
  readonly rootDir: string;
  private clientCache?: CriClient;
  agent?: Proc;

  constructor(readonly target: Target, label: string) {
    this.name = `${label}-${randomBytes(3).toString('hex')}`;
    this.dir = mkdtempSync(join(tmpdir(), `statelet-serve-${label}-`));
    this.manifests = join(this.dir, 'manifests');
    this.rootDir = join(this.dir, 'root');
    mkdirSync(this.manifests);
    nodes.add(this);
  }

  get endpoint(): string {
    return this.target.endpoint ?? `unix://${join(this.rootDir, 'runtime', 'statelet-runtime.sock')}`;
  }

  write(file: string, text: string): string {
    const p = join(this.manifests, file);
    writeFileSync(p, text);
    return p;
  }

  remove(file: string): void {
    rmSync(join(this.manifests, file), { force: true });
  }

  /** Starts `statelet serve --output json` for this node. */
  serve(extra: string[] = []): Proc {
    const args = ['serve', '--pod-manifest-path', this.manifests, '--root-dir', this.rootDir, '--hostname-override', this.name, '--output', 'json', ...extra];
    // Agents run side by side in tests: each API on a free port (announced on stderr, see apiUrl()).
    if (!extra.includes('--port') && !extra.includes('--no-api')) args.push('--port', '0');
    if (this.target.endpoint) args.push('--runtime-endpoint', this.target.endpoint);
    this.agent = new Proc(args);
    return this.agent;
  }

  /** The agent's API URL, from its `API serving on <url>` line. */
  async apiUrl(timeoutMs = 30_000): Promise<string> {
    const agent = this.agent!;
    await agent.waitForStderr(/API serving on (http:\/\/\S+)/, timeoutMs);
    return /API serving on (http:\/\/\S+)/.exec(agent.stderr)![1]!;
  }

  client(): CriClient {
    this.clientCache ??= new CriClient({ endpoint: this.endpoint, runtimeRequestTimeoutMs: 20_000 });
    return this.clientCache;
  }

  /** This node's sandboxes (by the agent's node label), and the containers in them. */
  async runtime(): Promise<{ sandboxes: PodSandbox[]; containers: ContainerStatus[] }> {
    const c = this.client();
    const { items } = await c.listPodSandbox({ filter: { labelSelector: { [MANAGED_BY_LABEL]: 'true', [NODE_NAME_LABEL]: this.name } } });
    const ids = new Set(items.map((s) => s.id));
    const { containers } = await c.listContainers({});
    const statuses: ContainerStatus[] = [];
    for (const k of containers.filter((x) => ids.has(x.podSandboxId))) {
      const st = (await c.containerStatus({ containerId: k.id }).catch(() => null))?.status;
      if (st) statuses.push(st);
    }
    return { sandboxes: items, containers: statuses };
  }

  /** Polls the runtime until `pred` holds. */
  async untilRuntime(pred: (rt: { sandboxes: PodSandbox[]; containers: ContainerStatus[] }) => boolean, what: string, timeoutMs = 30_000): Promise<{ sandboxes: PodSandbox[]; containers: ContainerStatus[] }> {
    const t0 = Date.now();
    for (;;) {
      const rt = await this.runtime();
      if (pred(rt)) return rt;
      if (Date.now() - t0 > timeoutMs) throw new Error(`runtime never showed ${what}: ${rt.sandboxes.length} sandbox(es), containers ${rt.containers.map((c) => `${c.labels[POD_UID_LABEL]?.slice(0, 6)}/${c.metadata?.name}#${c.metadata?.attempt}:${c.state}`).join(' ')}`);
      await sleep(200);
    }
  }

  /** Kills the agent, removes this node's pods from the runtime, stops its embedded runtime. */
  async cleanup(): Promise<void> {
    if (this.agent) {
      this.agent.kill('SIGKILL');
      await this.agent.exited;
    }
    try {
      const c = this.client();
      const { sandboxes, containers } = await this.runtime();
      for (const k of containers) {
        await c.stopContainer({ containerId: k.id, timeout: 0 }).catch(() => {});
        await c.removeContainer({ containerId: k.id }).catch(() => {});
      }
      for (const s of sandboxes) {
        await c.stopPodSandbox({ podSandboxId: s.id }).catch(() => {});
        await c.removePodSandbox({ podSandboxId: s.id }).catch(() => {});
      }
    } catch {
      /* the runtime may be gone */
    }
    this.clientCache?.close();
    if (!this.target.endpoint) {
      try {
        const pid = Number(readFileSync(join(this.rootDir, 'runtime', 'runtime.pid'), 'utf8'));
        if (pid) process.kill(pid, 'SIGTERM');
        for (let i = 0; i < 60; i++) {
          process.kill(pid, 0);
          await sleep(50);
        }
      } catch {
        /* not running */
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
    nodes.delete(this);
  }
}

const nodes = new Set<Node>();

/** For after(): nothing a failed test started may outlive the run. */
export async function cleanupAll(): Promise<void> {
  for (const p of all) p.kill('SIGKILL');
  for (const n of [...nodes]) await n.cleanup();
}

export { sleep };
