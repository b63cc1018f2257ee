// `statelet serve` without --runtime-endpoint: the embedded runtime runs as its own
// process (like containerd beside a kubelet), with its state under
// <root-dir>/runtime, so that the agent can die (SIGKILL, a crash, a restart) while
// the containers run on, and the next agent attaches to the same runtime again.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { packageRoot } from '../paths.js';

export interface RuntimeProcess {
  endpoint: string;
  /** Its pid, when this agent started it or found its pid file. */
  pid?: number;
  /** True when this call started it (false: it was already serving). */
  started: boolean;
  stateDir: string;
  /** Stops it (SIGTERM). It keeps its containers (--keep-containers); stop them first if they must go. */
  stop(): Promise<void>;
}

function answers(socket: string): Promise<boolean> {
  return new Promise((res) => {
    const s = connect(socket);
    s.once('connect', () => {
      s.destroy();
      res(true);
    });
    s.once('error', () => res(false));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Attaches to the embedded runtime serving <rootDir>/runtime, starting it if nothing answers there. */
export async function ensureEmbeddedRuntime(rootDir: string, opts: { log?: (m: string) => void; timeoutMs?: number } = {}): Promise<RuntimeProcess> {
  const stateDir = join(rootDir, 'runtime');
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  await chmod(stateDir, 0o700);
  const socket = join(stateDir, 'statelet-runtime.sock');
  const endpoint = `unix://${socket}`;
  const pidFile = join(stateDir, 'runtime.pid');
  const readPid = () => {
    try {
      return Number(readFileSync(pidFile, 'utf8').trim()) || undefined;
    } catch {
      return undefined;
    }
  };
  const handle = (pid: number | undefined, started: boolean): RuntimeProcess => ({
    endpoint,
    pid,
    started,
    stateDir,
    async stop() {
      if (!pid || !alive(pid)) return;
      process.kill(pid, 'SIGTERM');
      for (let i = 0; i < 100 && alive(pid); i++) await sleep(50);
    },
  });
  if (await answers(socket)) return handle(readPid(), false);
  const logFd = openSync(join(stateDir, 'runtime.log'), 'a', 0o600);
  const bin = join(packageRoot(), 'bin', 'statelet.js');
  // Its own session and process group, no tie to the agent's stdio: a signal to the
  // agent's group, or the agent's death, does not reach it.
  const child = spawn(process.execPath, [bin, 'runtime', 'serve', '--listen', endpoint, '--state-dir', stateDir, '--keep-containers'], {
    detached: true,
    stdio: ['ignore', logFd, logFd],
  });
  closeSync(logFd);
  child.unref();
  const pid = child.pid;
  if (pid) writeFileSync(pidFile, `${pid}\n`, { mode: 0o600 });
  const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
  let exited: number | null = null;
  child.once('exit', (code) => (exited = code ?? -1));
  while (!(await answers(socket))) {
    if (exited !== null) throw new Error(`the embedded runtime exited (${exited}) before serving; see ${join(stateDir, 'runtime.log')}`);
    if (Date.now() > deadline) throw new Error(`the embedded runtime did not serve on ${endpoint} within ${(opts.timeoutMs ?? 15_000) / 1000}s; see ${join(stateDir, 'runtime.log')}`);
    await sleep(50);
  }
  opts.log?.(`embedded runtime started as pid ${pid} on ${endpoint} (state in ${stateDir}; containers run as host processes)`);
  return handle(pid, true);
}
