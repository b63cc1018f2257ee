import { watch, type FSWatcher } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { nowNs, rfc3339Nano } from './time.js';

/**
 * Container output path: the process writes its stdout/stderr straight into
 * raw files under <stateDir>/io (not pipes), so a container keeps running and
 * keeps its output when the runtime restarts; the runtime tails those files
 * and writes the CRI log format (`<RFC3339Nano> stdout|stderr F|P <line>`) to
 * <log_directory>/<log_path>, as containerd's shim + cri/io logger do.
 * One inotify watch on the io directory serves every container (no polling).
 */

/** containerd splits lines longer than 16 KiB into P(artial) records. */
/** containerd creates CRI log files 0640, whatever the umask. */
const LOG_FILE_MODE = 0o640;
const MAX_LINE = 16 * 1024;

/** Appends to one CRI log file; writes are serialized so records never interleave. */
export class LogWriter {
  private fh: Promise<FileHandle> | null = null;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    readonly path: string,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Creates the file now (kubelet expects it to exist once the container started). */
  async open(): Promise<void> {
    this.fh ??= open(this.path, 'a', LOG_FILE_MODE);
    await this.fh;
  }

  write(data: Buffer): void {
    this.chain = this.chain
      .then(async () => {
        this.fh ??= open(this.path, 'a', LOG_FILE_MODE);
        await (await this.fh).write(data);
      })
      .catch(this.onError);
  }

  /**
   * ReopenContainerLog: after everything queued is written, close the file and open a
   * new one at the same path (the kubelet has just renamed the old one away).
   */
  reopen(): Promise<void> {
    const done = this.chain.then(async () => {
      const fh = this.fh;
      this.fh = null;
      if (fh) await (await fh).close().catch(() => {});
      this.fh = open(this.path, 'a', LOG_FILE_MODE);
      await this.fh;
    });
    this.chain = done.catch(this.onError);
    return done;
  }

  async close(): Promise<void> {
    await this.chain;
    const fh = this.fh;
    this.fh = null;
    if (fh) await (await fh).close().catch(() => {});
  }
}

export type StreamName = 'stdout' | 'stderr';

export class StreamTail {
  offset: number;
  private partial: Buffer[] = [];
  private partialLen = 0;
  private fh: FileHandle | null = null;
  private reading: Promise<void> | null = null;
  private again = false;
  private closed = false;

  /** Bytes read but not yet written (an unfinished line). */
  get pendingBytes(): number {
    return this.partialLen;
  }

  constructor(
    readonly rawPath: string,
    readonly stream: StreamName,
    private readonly out: LogWriter,
    offset: number,
    private readonly onError: (err: unknown) => void,
  ) {
    this.offset = offset;
  }

  /** Something was written to the raw file: read what is new (coalesces bursts). */
  kick(): void {
    if (this.closed) return;
    void this.pump();
  }

  /**
   * The one way to read: at most one read runs at a time (two reads from the
   * same offset would copy lines twice), and a request made while one runs
   * makes it go round once more. Resolves when reading has stopped.
   */
  private pump(): Promise<void> {
    if (this.reading) {
      this.again = true;
      return this.reading;
    }
    const run = async (): Promise<void> => {
      try {
        do {
          this.again = false;
          await this.readToEnd().catch(this.onError);
        } while (this.again);
      } finally {
        this.reading = null;
      }
    };
    // `run` reaches its first await before its finally can run, so this
    // assignment always precedes the reset.
    this.reading = run();
    return this.reading;
  }

  private async readToEnd(): Promise<void> {
    if (!this.fh) {
      try {
        this.fh = await open(this.rawPath, 'r');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // not created yet
        throw err;
      }
    }
    const buf = Buffer.allocUnsafe(64 * 1024);
    for (;;) {
      const { bytesRead } = await this.fh.read(buf, 0, buf.length, this.offset);
      if (bytesRead === 0) return;
      this.offset += bytesRead;
      this.consume(buf.subarray(0, bytesRead));
    }
  }

  private consume(chunk: Buffer): void {
    const parts: Buffer[] = [];
    const ts = rfc3339Nano(nowNs());
    const full = Buffer.from(`${ts} ${this.stream} F `);
    const part = Buffer.from(`${ts} ${this.stream} P `);
    const nl = Buffer.from('\n');
    let start = 0;
    for (;;) {
      const i = chunk.indexOf(10, start);
      if (i < 0) break;
      let line = chunk.subarray(start, i);
      if (this.partialLen > 0) {
        line = Buffer.concat([...this.partial, line]);
        this.partial = [];
        this.partialLen = 0;
      }
      for (let off = 0; ; off += MAX_LINE) {
        const last = line.length - off <= MAX_LINE;
        parts.push(last ? full : part, line.subarray(off, last ? line.length : off + MAX_LINE), nl);
        if (last) break;
      }
      start = i + 1;
    }
    if (start < chunk.length) {
      // Copy: the read buffer is reused.
      this.partial.push(Buffer.from(chunk.subarray(start)));
      this.partialLen += chunk.length - start;
      while (this.partialLen >= MAX_LINE) {
        const all = Buffer.concat(this.partial);
        parts.push(part, all.subarray(0, MAX_LINE), nl);
        const rest = all.subarray(MAX_LINE);
        this.partial = rest.length ? [rest] : [];
        this.partialLen = rest.length;
      }
    }
    if (parts.length) this.out.write(Buffer.concat(parts));
  }

  /**
   * Reads what is left, then stops reading. With `eof` (the process is gone)
   * a trailing line without newline is written with the P tag, as
   * containerd's CRI logger does at EOF (so `kubectl logs` adds no newline
   * the app never wrote). Without `eof` (the runtime goes away, the process
   * lives on) it stays unwritten: the persisted offset excludes it and the
   * next runtime reads it again.
   */
  async finish(eof: boolean): Promise<void> {
    if (this.closed) return;
    while (this.reading) await this.reading;
    // Most containers never write: one stat instead of open+read+close. (The
    // change event for a last write may still be in flight, so always check.)
    const grown = this.fh !== null || ((await stat(this.rawPath).catch(() => null))?.size ?? 0) > this.offset;
    // Through the guard: a kick() during the stat may have started a read.
    if (grown || this.reading) await this.pump();
    while (this.reading) await this.reading;
    // A concurrent finish() may have completed while this one waited.
    if (this.closed) return;
    this.closed = true;
    if (eof && this.partialLen > 0) {
      const ts = rfc3339Nano(nowNs());
      this.out.write(Buffer.concat([Buffer.from(`${ts} ${this.stream} P `), ...this.partial, Buffer.from('\n')]));
      this.partial = [];
      this.partialLen = 0;
    }
    const fh = this.fh;
    this.fh = null;
    if (fh) await fh.close().catch(() => {});
  }
}

/** One directory watch dispatching change events to the tail of that file. */
export class IoDirWatcher {
  private readonly tails = new Map<string, StreamTail>();
  private watcher: FSWatcher | null = null;
  private fallback: NodeJS.Timeout | null = null;

  constructor(
    readonly dir: string,
    private readonly log: (m: string) => void,
  ) {}

  start(): void {
    try {
      this.watcher = watch(this.dir, { persistent: false }, (ev, file) => {
        // Only writes matter ('change'); creating or unlinking a raw file ('rename') adds no output.
        if (ev !== 'change') return;
        if (file) this.tails.get(file.toString())?.kick();
        else for (const t of this.tails.values()) t.kick();
      });
      this.watcher.on('error', (err) => {
        this.log(`io watch failed, falling back to 500ms polling: ${String(err)}`);
        this.startFallback();
      });
    } catch (err) {
      this.log(`io watch unavailable, falling back to 500ms polling: ${String(err)}`);
      this.startFallback();
    }
  }

  private startFallback(): void {
    this.watcher?.close();
    this.watcher = null;
    if (this.fallback) return;
    this.fallback = setInterval(() => {
      for (const t of this.tails.values()) t.kick();
    }, 500);
    this.fallback.unref();
  }

  /** `catchUp`: read what is already there (a container found again after a restart). */
  add(fileName: string, tail: StreamTail, catchUp: boolean): void {
    this.tails.set(fileName, tail);
    if (catchUp) tail.kick();
  }

  delete(fileName: string): void {
    this.tails.delete(fileName);
  }

  close(): void {
    this.watcher?.close();
    this.watcher = null;
    if (this.fallback) clearInterval(this.fallback);
    this.fallback = null;
  }
}
