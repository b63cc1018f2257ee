// Container log rotation, as the kubelet's ContainerLogManager does it
// (pkg/kubelet/logs/container_log_manager.go): every monitor period each running
// container's CRI log file is checked; once it reaches containerLogMaxSize it is
// renamed to <log>.<YYYYMMDD-hhmmss> and the runtime is asked to reopen the log
// (ReopenContainerLog). Older rotated files are gzip-compressed, and only
// containerLogMaxFiles files per container are kept, the live one included.
import { createReadStream, createWriteStream } from 'node:fs';
import { readdir, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { nodeZlib } from '../lazy-deps.js';
import type { CriClient } from '../cri/client.js';
import { MANAGED_BY_LABEL, POD_UID_LABEL } from '../kuberuntime/labels.js';

/** The kubelet's defaults: containerLogMaxSize 10Mi, containerLogMaxFiles 5, containerLogMonitorInterval 10s. */
export const DEFAULT_CONTAINER_LOG_MAX_SIZE = 10 * 1024 * 1024;
export const DEFAULT_CONTAINER_LOG_MAX_FILES = 5;
export const DEFAULT_CONTAINER_LOG_MONITOR_MS = 10_000;

const COMPRESS_SUFFIX = '.gz';
const TMP_SUFFIX = '.tmp';

export interface ContainerLogManagerOptions {
  client: Pick<CriClient, 'listContainers' | 'containerStatus' | 'reopenContainerLog'>;
  maxSize: number;
  maxFiles: number;
  periodMs?: number;
  /** Only containers of pods this predicate accepts are rotated (default: every statelet-managed one). */
  owns?: (podUid: string) => boolean;
  /** Rotated file suffix time (default now). */
  now?: () => Date;
  log?: (msg: string) => void;
}

/** Go's "20060102-150405" in local time. */
export function rotationTimestamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** isInUse: temporary files are not; compressed ones are; an uncompressed one whose .gz exists is not. */
export function splitUnusedLogs(logs: string[]): { inuse: string[]; unused: string[] } {
  const set = new Set(logs);
  const inuse: string[] = [];
  const unused: string[] = [];
  for (const l of logs) {
    if (l.endsWith(TMP_SUFFIX)) unused.push(l);
    else if (l.endsWith(COMPRESS_SUFFIX)) inuse.push(l);
    else if (set.has(l + COMPRESS_SUFFIX)) unused.push(l);
    else inuse.push(l);
  }
  return { inuse, unused };
}

export class ContainerLogManager {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private closed = false;
  /**
   * Each container's CRI log path, learnt from its ContainerStatus once: the path is fixed
   * when the container is created, so the status call is not repeated every period for
   * every running container (an idle node's largest cost otherwise). Pruned each pass.
   */
  private readonly logPaths = new Map<string, string>();

  constructor(private readonly opts: ContainerLogManagerOptions) {
    if (opts.maxFiles < 2) throw new Error(`invalid containerLogMaxFiles ${opts.maxFiles}, must be > 1`);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    const tick = () => {
      if (this.stopped) return;
      this.running = this.rotateLogs()
        .catch((err) => this.opts.log?.(`log rotation failed: ${(err as Error).message}`))
        .finally(() => {
          this.running = undefined;
          if (!this.stopped) {
            this.timer = setTimeout(tick, this.opts.periodMs ?? DEFAULT_CONTAINER_LOG_MONITOR_MS);
            this.timer.unref();
          }
        });
    };
    this.timer = setTimeout(tick, this.opts.periodMs ?? DEFAULT_CONTAINER_LOG_MONITOR_MS);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** One pass over every running container (rotateLogs + processContainer). */
  async rotateLogs(): Promise<void> {
    const { client } = this.opts;
    const res = await client.listContainers({ filter: { state: { state: 'CONTAINER_RUNNING' }, labelSelector: { [MANAGED_BY_LABEL]: 'true' } } });
    const listed = new Set(res.containers.map((c) => c.id));
    for (const id of this.logPaths.keys()) if (!listed.has(id)) this.logPaths.delete(id);
    for (const c of res.containers) {
      if (this.closed) return;
      if (c.state !== 'CONTAINER_RUNNING') continue;
      if (this.opts.owns && !this.opts.owns(c.labels[POD_UID_LABEL] ?? '')) continue;
      await this.processContainer(c.id).catch((err) => this.opts.log?.(`log rotation of container ${c.id}: ${(err as Error).message}`));
    }
  }

  async processContainer(id: string): Promise<void> {
    const { client } = this.opts;
    let path = this.logPaths.get(id);
    if (path === undefined) {
      path = (await client.containerStatus({ containerId: id })).status?.logPath ?? '';
      if (!this.closed) this.logPaths.set(id, path);
    }
    if (!path) return;
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      // The log file is gone (a failed rotation, someone removed it): the runtime makes a new one.
      await client.reopenContainerLog({ containerId: id });
      size = (await stat(path)).size;
    }
    if (size < this.opts.maxSize) return;
    await this.rotateLog(id, path);
  }

  private async rotateLog(id: string, log: string): Promise<void> {
    const dir = dirname(log);
    const prefix = `${basename(log)}.`;
    let logs = (await readdir(dir)).filter((n) => n.startsWith(prefix)).map((n) => join(dir, n));
    // cleanupUnusedLogs: leftovers of an earlier failed rotation.
    const { inuse, unused } = splitUnusedLogs(logs);
    for (const l of unused) await unlink(l).catch(() => {});
    // removeExcessLogs: the live log and the one about to be rotated leave room for MaxFiles-2 more.
    logs = inuse.sort();
    const keep = Math.max(0, this.opts.maxFiles - 2);
    while (logs.length > keep) await unlink(logs.shift()!).catch(() => {});
    for (const l of logs) if (!l.endsWith(COMPRESS_SUFFIX)) await compressLog(l);
    // rotateLatestLog: left uncompressed so that a reader (kubectl logs -f) can finish it.
    const rotated = `${log}.${rotationTimestamp(this.opts.now?.() ?? new Date())}`;
    await rename(log, rotated);
    try {
      await this.opts.client.reopenContainerLog({ containerId: id });
    } catch (err) {
      // Put it back so the next round tries again (nothing is lost).
      await rename(rotated, log).catch((e) => this.opts.log?.(`rotated log ${rotated} could not be renamed back: ${(e as Error).message}`));
      throw new Error(`failed to reopen container log ${id}: ${(err as Error).message}`);
    }
  }
}

/** log -> log.gz (through log.gz.tmp), then the original goes. */
async function compressLog(log: string): Promise<void> {
  const info = await stat(log);
  const tmp = log + COMPRESS_SUFFIX + TMP_SUFFIX;
  try {
    await pipeline(createReadStream(log), nodeZlib().createGzip(), createWriteStream(tmp, { mode: info.mode & 0o777 }));
    await rename(tmp, log + COMPRESS_SUFFIX);
  } finally {
    await unlink(tmp).catch(() => {});
  }
  await unlink(log);
}
