import { fork, type ChildProcess, type SpawnOptions } from 'node:child_process';

/** What crosses to the launcher process: plain data only. */
export type LaunchOptions = Pick<SpawnOptions, 'cwd' | 'uid' | 'gid'> & { env: Record<string, string | undefined> };

export interface SpawnRequest {
  op: 'spawn';
  reqId: number;
  file: string;
  args: string[];
  options: LaunchOptions;
  /** Raw output files (appended to); absent = /dev/null. */
  stdoutPath?: string;
  stderrPath?: string;
}
export interface ExecRequest {
  op: 'exec';
  reqId: number;
  file: string;
  args: string[];
  options: LaunchOptions;
  timeoutMs: number;
  maxOutput: number;
}
export type LauncherRequest =
  | SpawnRequest
  | ExecRequest
  | { op: 'cancelExec'; reqId: number }
  | { op: 'keepChildren' }
  /** An orderly close: the runtime cleans up its own state dir. */
  | { op: 'closing' };

export type LauncherReply =
  | { op: 'spawned'; reqId: number; pid?: number; startTime?: string; error?: { code: string; message: string } }
  | { op: 'exit'; pid: number; exitCode: number }
  | {
      op: 'execDone';
      reqId: number;
      error?: { code: string; message: string };
      stdout?: Uint8Array;
      stderr?: Uint8Array;
      exitCode?: number;
      timedOut?: boolean;
    };

export interface ExecResult {
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number;
  timedOut: boolean;
}

function spawnError(e: { code: string; message: string }): NodeJS.ErrnoException {
  return Object.assign(new Error(e.message), { code: e.code });
}

const toBuffer = (u?: Uint8Array) => (u ? (Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength)) : Buffer.alloc(0));

/**
 * Client side of the launcher process (launcher-process.ts). Exits of the
 * processes it started are reported through `onExit(pid, exitCode)`. If the
 * launcher dies, `onLost()` is called (its children keep running but their
 * exits are no longer reported) and a new launcher is started.
 */
export class Launcher {
  private proc: ChildProcess | null = null;
  private seq = 0;
  private readonly pending = new Map<number, { resolve: (v: any) => void; reject: (e: unknown) => void }>();
  private closed = false;
  private held = false;

  /**
   * `killOnDisconnect`: if this process ends without close() having let the
   * containers go (a crash, SIGKILL), the launcher kills them.
   */
  constructor(
    private readonly onExit: (pid: number, exitCode: number) => void,
    private readonly onLost: (reason: string) => void,
    private readonly killOnDisconnect = false,
    /** With killOnDisconnect: a directory the launcher removes once it has killed the containers. */
    private readonly removeOnDisconnect?: string,
  ) {
    this.startProc();
  }

  private startProc(): void {
    const args = this.killOnDisconnect ? ['--kill-on-disconnect', ...(this.removeOnDisconnect ? ['--remove-on-disconnect', this.removeOnDisconnect] : [])] : [];
    const p = fork(new URL('./launcher-process.js', import.meta.url), args, {
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      execArgv: ['--max-old-space-size=128'],
      // Its own process group: a signal to the runtime's group (a closed terminal's SIGHUP,
      // Ctrl-C, `kill -9 -<pgid>`) does not reach it, so it outlives the runtime long enough
      // to see the channel close and act (kill the containers, or leave them to the next runtime).
      detached: true,
    });
    this.proc = p;
    p.on('message', (m: LauncherReply) => this.onMessage(m));
    p.on('error', () => {});
    p.once('exit', (code, sig) => {
      if (this.proc === p) this.proc = null;
      this.failAll(new Error('the launcher process exited'));
      if (this.closed) return;
      this.onLost(`launcher process exited (${sig ?? code}); restarting it`);
      this.startProc();
    });
    this.setRef(false);
  }

  /** The launcher must not keep the runtime's process alive when idle. */
  private setRef(ref: boolean): void {
    const p = this.proc;
    if (!p) return;
    const ch = p.channel as { ref?: () => void; unref?: () => void } | undefined;
    if (ref) {
      p.ref();
      ch?.ref?.();
    } else {
      p.unref();
      ch?.unref?.();
    }
  }

  /** Keeps the process alive while exit reports are awaited outside any gRPC call (close()). */
  hold(): void {
    this.held = true;
    this.setRef(true);
  }

  private onMessage(m: LauncherReply): void {
    if (m.op === 'exit') {
      if (!this.closed) this.onExit(m.pid, m.exitCode);
      return;
    }
    const p = this.pending.get(m.reqId);
    if (!p) return;
    this.pending.delete(m.reqId);
    if (this.pending.size === 0 && !this.held) this.setRef(false);
    if (m.error) p.reject(spawnError(m.error));
    else p.resolve(m);
  }

  private failAll(err: unknown): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  private post(req: LauncherRequest & { reqId: number }): Promise<any> {
    const p = this.proc;
    if (this.closed || !p?.connected) return Promise.reject(new Error('the launcher process is not running'));
    return new Promise((resolve, reject) => {
      this.pending.set(req.reqId, { resolve, reject });
      if (this.pending.size === 1) this.setRef(true);
      p.send(req, (err) => {
        if (err && this.pending.delete(req.reqId)) reject(err);
      });
    });
  }

  /** Starts a detached process (own process group); resolves once it has exec'd. */
  async spawn(file: string, args: string[], options: LaunchOptions, stdoutPath?: string, stderrPath?: string): Promise<{ pid: number; startTime: string }> {
    const r = await this.post({ op: 'spawn', reqId: ++this.seq, file, args, options, stdoutPath, stderrPath });
    return { pid: r.pid as number, startTime: (r.startTime as string) ?? '' };
  }

  /** Runs a process to completion, collecting output; `onCancel` receives a function that kills it. */
  async exec(file: string, args: string[], options: LaunchOptions, timeoutMs: number, maxOutput: number, onCancel?: (fn: () => void) => void): Promise<ExecResult> {
    const reqId = ++this.seq;
    onCancel?.(() => {
      if (this.proc?.connected) this.proc.send({ op: 'cancelExec', reqId });
    });
    const r = await this.post({ op: 'exec', reqId, file, args, options, timeoutMs, maxOutput });
    return { stdout: toBuffer(r.stdout), stderr: toBuffer(r.stderr), exitCode: r.exitCode as number, timedOut: r.timedOut === true };
  }

  /**
   * Stops reporting exits and ends the launcher. Its children live on in
   * their own process groups, except with `killOnDisconnect` and no
   * `keepChildren`, where the launcher kills those still running.
   */
  async close(keepChildren = false): Promise<void> {
    this.closed = true;
    this.failAll(new Error('runtime is shutting down'));
    const p = this.proc;
    this.proc = null;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise<void>((r) => p.once('exit', () => r()));
    if (p.connected) await new Promise<void>((r) => p.send({ op: 'closing' } satisfies LauncherRequest, () => r()));
    if (keepChildren && this.killOnDisconnect && p.connected) {
      await new Promise<void>((r) => p.send({ op: 'keepChildren' } satisfies LauncherRequest, () => r()));
    }
    if (p.connected) p.disconnect();
    const t = setTimeout(() => p.kill('SIGKILL'), 1000);
    await gone;
    clearTimeout(t);
  }
}
