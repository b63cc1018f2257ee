// Reading container logs as the kubelet serves them (pkg/kubelet/kuberuntime/
// logs/logs.go ReadLogs, 1.34) from the CRI log files the runtime writes:
// `<RFC3339Nano> <stdout|stderr> <P|F> <content>` lines, where P(artial)
// records are pieces of one long line joined without a newline.
//
// - tailLines: starts at the last N complete lines of the file (tail.
//   FindTailLineStartIndex: an unterminated last line is not counted);
// - sinceSeconds/sinceTime: lines stamped before are skipped;
// - timestamps: each line (not each partial piece) starts with its stamp in
//   Go's RFC3339Nano (trailing zeros of the fraction dropped) and a space;
// - limitBytes: at most this many bytes are written, the last line cut;
// - follow: at the end of the file, waits for more while the container runs
//   (ContainerStatus), and when the runtime reopens the log after a rotation
//   (the kubelet's ContainerLogManager renamed it away), goes on in the new
//   file; once the container has stopped, what is left is written and the
//   stream ends. Unlike the kubelet, which watches the directory with
//   fsnotify and can lose the last lines written to the renamed file, this
//   reader finishes the old file before it opens the new one.
import { open, stat, type FileHandle } from 'node:fs/promises';
import type { RuntimeService } from '../cri/services.js';

export interface LogOptions {
  follow?: boolean;
  /** Last N lines; undefined or < 0: all. */
  tailLines?: number;
  timestamps?: boolean;
  sinceSeconds?: number;
  /** RFC3339 time; sinceSeconds wins when both are given (the API forbids both). */
  sinceTime?: string;
  limitBytes?: number;
  /** Which stream(s) to return (PodLogOptions.stream, 1.32+): All by default. */
  stream?: 'All' | 'Stdout' | 'Stderr';
}

export interface ReadLogsDeps {
  /** For follow: whether the container still runs (default: never, so follow ends at EOF). */
  isRunning?: () => Promise<boolean>;
  now?: () => number;
  signal?: AbortSignal;
  /** How often a follower looks for new data (ms). */
  pollMs?: number;
  /** How often a follower asks whether the container still runs (the kubelet's logForceCheckPeriod, 1 s). */
  stateCheckMs?: number;
}

/** A parsed CRI log record. */
export interface CriLogRecord {
  /** The stamp as written. */
  timestamp: string;
  /** Epoch ms (the sub-millisecond digits only matter for output, kept in `timestamp`). */
  timeMs: number;
  stream: 'stdout' | 'stderr';
  partial: boolean;
  /** Content, with a newline for a full (F) record. */
  log: Buffer;
}

const SPACE = 0x20;
const NL = 0x0a;

/** parseCRILog: `<timestamp> <stream> <tags> <content>` (tags: `P` or `F`, possibly `:`-separated). */
export function parseCriLog(line: Buffer): CriLogRecord | undefined {
  const end = line.length && line[line.length - 1] === NL ? line.length - 1 : line.length;
  const i1 = line.indexOf(SPACE);
  if (i1 <= 0 || i1 >= end) return undefined;
  const timestamp = line.subarray(0, i1).toString();
  const timeMs = Date.parse(timestamp);
  if (!Number.isFinite(timeMs)) return undefined;
  const i2 = line.indexOf(SPACE, i1 + 1);
  if (i2 < 0) return undefined;
  const stream = line.subarray(i1 + 1, i2).toString();
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  const i3 = line.indexOf(SPACE, i2 + 1);
  const tags = (i3 < 0 ? line.subarray(i2 + 1, end) : line.subarray(i2 + 1, i3)).toString();
  const partial = tags.split(':')[0] === 'P';
  const content = i3 < 0 ? Buffer.alloc(0) : line.subarray(i3 + 1, end);
  return { timestamp, timeMs, stream, partial, log: partial ? Buffer.from(content) : Buffer.concat([content, Buffer.from('\n')]) };
}

/** Go's RFC3339Nano output of a stamp: the fraction's trailing zeros (and a bare '.') dropped. */
export function rfc3339NanoOut(ts: string): string {
  return ts.replace(/\.(\d+)(?=Z|[+-]\d\d:\d\d$)/, (_m, frac: string) => {
    const f = frac.replace(/0+$/, '');
    return f ? `.${f}` : '';
  });
}

/**
 * FindTailLineStartIndex: the offset of the last n complete lines before `size` (n < 0: 0).
 * The caller passes the size it reads up to: a file that grew between two stats would
 * otherwise give a start past the lines it then reads.
 */
export async function tailStart(fh: FileHandle, n: number, size?: number): Promise<number> {
  if (n < 0) return 0;
  size ??= (await fh.stat()).size;
  const block = 64 * 1024;
  let count = 0;
  let right = size;
  // Walk back until n+1 newlines are seen; the line start is just after the (n+1)-th from the end.
  while (right > 0) {
    const left = Math.max(0, right - block);
    const buf = Buffer.alloc(right - left);
    await fh.read(buf, 0, buf.length, left);
    for (let i = buf.length - 1; i >= 0; i--) {
      if (buf[i] !== NL) continue;
      count++;
      if (count > n) return left + i + 1;
    }
    right = left;
  }
  return 0;
}

class LimitReached extends Error {}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/**
 * ReadLogs: writes the log at `path` to `write` (which may return a promise to apply
 * back-pressure). Resolves when done: at EOF without follow, when the followed
 * container stopped and its log is drained, at limitBytes, or when aborted.
 */
export async function readLogs(path: string, opts: LogOptions, write: (chunk: Buffer) => void | Promise<void>, deps: ReadLogsDeps = {}): Promise<void> {
  const now = deps.now ?? Date.now;
  const pollMs = deps.pollMs ?? 100;
  const stateCheckMs = deps.stateCheckMs ?? 1000;
  const signal = deps.signal;
  let since = -Infinity;
  if (opts.sinceSeconds !== undefined) since = now() - opts.sinceSeconds * 1000;
  else if (opts.sinceTime) since = Date.parse(opts.sinceTime);
  let remain = opts.limitBytes !== undefined && opts.limitBytes > 0 ? opts.limitBytes : Infinity;
  const wanted = (s: 'stdout' | 'stderr') => !opts.stream || opts.stream === 'All' || opts.stream.toLowerCase() === s;

  let fh = await open(path, 'r');
  try {
    // Without follow, what the file held when the request came: a line written meanwhile does
    // not turn `tailLines=2` into three lines.
    const size = (await fh.stat()).size;
    const endAt = opts.follow ? Infinity : size;
    let pos = opts.tailLines !== undefined && opts.tailLines >= 0 ? await tailStart(fh, opts.tailLines, size) : 0;
    let isNewLine = true;
    let pending = Buffer.alloc(0);
    let stop = false;
    let lastCheck = 0;

    const emit = async (line: Buffer): Promise<void> => {
      const rec = parseCriLog(line);
      if (!rec) return; // the kubelet logs and skips a line it cannot parse
      const addPrefix = isNewLine;
      isNewLine = rec.log.length === 0 || rec.log[rec.log.length - 1] === NL;
      if (rec.timeMs < since || !wanted(rec.stream)) return;
      let out = opts.timestamps && addPrefix ? Buffer.concat([Buffer.from(rfc3339NanoOut(rec.timestamp) + ' '), rec.log]) : rec.log;
      if (out.length > remain) out = out.subarray(0, remain);
      if (out.length) await write(out);
      remain -= out.length;
      if (remain <= 0) throw new LimitReached();
    };

    /** Reads what the file has past `pos`; complete lines are written, an unterminated rest is kept. */
    const drain = async (): Promise<number> => {
      let total = 0;
      const buf = Buffer.alloc(64 * 1024);
      for (;;) {
        if (signal?.aborted) return total;
        const want = Math.min(buf.length, endAt - pos);
        if (want <= 0) return total;
        const { bytesRead } = await fh.read(buf, 0, want, pos);
        if (bytesRead === 0) return total;
        pos += bytesRead;
        total += bytesRead;
        let data = Buffer.concat([pending, buf.subarray(0, bytesRead)]);
        let nl: number;
        while ((nl = data.indexOf(NL)) >= 0) {
          await emit(data.subarray(0, nl + 1));
          data = data.subarray(nl + 1);
        }
        pending = Buffer.from(data);
      }
    };

    try {
      for (;;) {
        await drain();
        if (signal?.aborted) return;
        if (!opts.follow || stop) {
          // At the end: an unterminated last line is written as it is (the kubelet
          // logs "Incomplete line in log file" and parses it anyway).
          if (pending.length) await emit(pending);
          return;
        }
        // Follow: wait for more data, a rotation, or the container's end.
        const t = now();
        if (t - lastCheck >= stateCheckMs || lastCheck === 0) {
          lastCheck = t;
          const running = deps.isRunning ? await deps.isRunning().catch(() => false) : false;
          if (!running) {
            stop = true;
            continue;
          }
        }
        await sleep(pollMs, signal);
        if (signal?.aborted) return;
        // Rotated: the path is a new file. Finish the old one first, then go on in the new one.
        const cur = await stat(path).catch(() => undefined);
        const mine = await fh.stat();
        if (cur && cur.ino !== mine.ino) {
          await drain();
          await fh.close();
          fh = await open(path, 'r');
          pos = 0;
        }
      }
    } catch (err) {
      if (err instanceof LimitReached) return;
      throw err;
    }
  } finally {
    await fh.close().catch(() => {});
  }
}

/** isContainerRunning: ContainerStatus says CONTAINER_RUNNING. */
export function containerRunning(client: Pick<RuntimeService, 'containerStatus'>, containerId: string): () => Promise<boolean> {
  return async () => (await client.containerStatus({ containerId })).status?.state === 'CONTAINER_RUNNING';
}
