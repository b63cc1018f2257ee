// The launcher: a small Node process forked once by the runtime (cf.
// containerd's shim). It forks every container and exec process, so the
// runtime process itself never forks: fork() from a big multi-threaded Node
// process blocks its event loop until the child has exec'd and leaves the
// heap write-protected (copy-on-write faults afterwards). Here it is cheap and
// runs on the other core. It also opens the raw output files and reads each
// child's start time. It exits when the runtime goes away; containers run in
// their own process groups and live on (the next runtime finds them in /proc),
// unless the runtime passed --kill-on-disconnect (killOnClose): then they go too.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { closeSync, openSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import type { LauncherReply, LauncherRequest, ExecRequest, SpawnRequest } from './launcher.js';

/**
 * runc starts a container with only its stdio open. Node's spawn leaves
 * behind every fd Node opened itself (all O_CLOEXEC), but not the ones this
 * process inherited without that flag (a shell's, a test runner's or a CI
 * agent's pipes): containers and exec'd commands would hold those open, and
 * whoever waits for their EOF would wait until the container ends. Close
 * them once, before anything is started.
 */
function closeInheritedFds(): void {
  let names: string[];
  try {
    names = readdirSync('/proc/self/fdinfo');
  } catch {
    return; // no procfs: nothing to do
  }
  // The IPC channel to the runtime is O_CLOEXEC on the Node versions seen; skip it regardless.
  const channelFd = (process.channel as { fd?: number } | undefined)?.fd;
  for (const name of names) {
    const fd = Number(name);
    if (!(fd > 2) || fd === channelFd) continue;
    let info: string;
    try {
      info = readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
    } catch {
      continue; // the directory listing's own fd, already closed
    }
    const flags = /^flags:\s*([0-7]+)/m.exec(info);
    if (!flags || (parseInt(flags[1]!, 8) & 0o2000000) !== 0) continue;
    try {
      closeSync(fd);
    } catch {
      /* gone */
    }
  }
}
closeInheritedFds();

const execs = new Map<number, ChildProcess>();
/** Container processes (process group leaders) still running. */
const running = new Set<number>();
/**
 * Set by a runtime whose containers must not outlive it (killOnClose): if the
 * runtime goes away without closing (crash, SIGKILL, an abrupt process.exit),
 * the containers go with it instead of running on unwatched.
 */
let killOnDisconnect = process.argv.includes('--kill-on-disconnect');
/** A temporary state dir to remove after the kill, when the runtime died without closing. */
const removeArg = process.argv.indexOf('--remove-on-disconnect');
let removeOnDisconnect: string | undefined = removeArg >= 0 ? process.argv[removeArg + 1] : undefined;
const signum = (sig: NodeJS.Signals | null): number => (sig ? (osConstants.signals as Record<string, number>)[sig] ?? 0 : 0);
const send = (m: LauncherReply) => {
  if (process.connected) process.send!(m);
};

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

function start(file: string, args: string[], opts: SpawnOptions): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(file, args, opts);
    } catch (err) {
      reject(err);
      return;
    }
    child.once('spawn', () => resolve(child));
    child.once('error', reject);
  });
}

function errInfo(err: unknown): { code: string; message: string } {
  const e = err as NodeJS.ErrnoException;
  return { code: e?.code ?? 'UNKNOWN', message: e?.message ?? String(err) };
}

function startTimeOf(pid: number): string {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  } catch {
    return '';
  }
}

async function onSpawn(m: SpawnRequest): Promise<void> {
  const fds: number[] = [];
  let child: ChildProcess;
  try {
    // Raw output stays owner-only whatever the umask (the CRI log file is the readable copy).
    const out = m.stdoutPath ? openSync(m.stdoutPath, 'a', 0o600) : 'ignore';
    if (typeof out === 'number') fds.push(out);
    const err = m.stderrPath ? openSync(m.stderrPath, 'a', 0o600) : 'ignore';
    if (typeof err === 'number') fds.push(err);
    child = await start(m.file, m.args, { ...m.options, detached: true, stdio: ['ignore', out, err] });
  } catch (err) {
    send({ op: 'spawned', reqId: m.reqId, error: errInfo(err) });
    return;
  } finally {
    for (const fd of fds) closeSync(fd);
  }
  child.on('error', () => {});
  const pid = child.pid!;
  running.add(pid);
  child.once('exit', (code, sig) => {
    running.delete(pid);
    send({ op: 'exit', pid, exitCode: code ?? 128 + signum(sig) });
  });
  send({ op: 'spawned', reqId: m.reqId, pid, startTime: startTimeOf(pid) });
}

async function onExec(m: ExecRequest): Promise<void> {
  let child: ChildProcess;
  try {
    child = await start(m.file, m.args, { ...m.options, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    send({ op: 'execDone', reqId: m.reqId, error: errInfo(err) });
    return;
  }
  child.on('error', () => {});
  const pid = child.pid!;
  execs.set(m.reqId, child);
  const collect = (s: NodeJS.ReadableStream | null) => {
    const parts: Buffer[] = [];
    let n = 0;
    s?.on('data', (b: Buffer) => {
      if (n >= m.maxOutput) return;
      const take = b.length > m.maxOutput - n ? b.subarray(0, m.maxOutput - n) : b;
      parts.push(take);
      n += take.length;
    });
    return parts;
  };
  const out = collect(child.stdout);
  const err = collect(child.stderr);
  let timedOut = false;
  const timer = m.timeoutMs > 0 ? setTimeout(() => ((timedOut = true), killGroup(pid)), m.timeoutMs) : null;
  const exitCode = await new Promise<number>((resolve) => {
    let code: number | null = null;
    let grace: NodeJS.Timeout | null = null;
    child.once('exit', (cd, sig) => {
      code = cd ?? 128 + signum(sig);
      // Background children may keep the pipes open; don't wait on them for long.
      grace = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        resolve(code!);
      }, 100);
    });
    child.once('close', (cd, sig) => {
      if (grace) clearTimeout(grace);
      resolve(code ?? cd ?? 128 + signum(sig));
    });
  });
  if (timer) clearTimeout(timer);
  execs.delete(m.reqId);
  send({ op: 'execDone', reqId: m.reqId, stdout: Buffer.concat(out), stderr: Buffer.concat(err), exitCode, timedOut });
}

process.on('message', (m: LauncherRequest) => {
  if (m.op === 'spawn') void onSpawn(m);
  else if (m.op === 'exec') void onExec(m);
  else if (m.op === 'keepChildren') killOnDisconnect = false;
  else if (m.op === 'closing') removeOnDisconnect = undefined;
  else if (m.op === 'cancelExec') {
    const c = execs.get(m.reqId);
    if (c?.pid) killGroup(c.pid);
  }
});
// The runtime is gone (closed or crashed): leave the containers to the next
// one, unless it asked for them to go with it. Exec'd commands always go.
function shutDown(): never {
  for (const c of execs.values()) if (c.pid) killGroup(c.pid);
  if (killOnDisconnect) {
    for (const pid of running) killGroup(pid);
    if (removeOnDisconnect) {
      try {
        rmSync(removeOnDisconnect, { recursive: true, force: true });
      } catch {
        /* best effort */
      }
    }
  }
  process.exit(0);
}
process.on('disconnect', shutDown);
// The launcher lives in its own process group, so these come only when aimed at it. Hang-ups
// and interrupts belong to the runtime, which decides (its exit then reaches us as a disconnect).
process.on('SIGINT', () => {});
process.on('SIGHUP', () => {});
// Told to stop: containers that must not outlive the runtime go first.
process.on('SIGTERM', shutDown);
