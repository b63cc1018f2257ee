// What the runtime cannot tell a restarted agent: each pod's actor snapshot (with
// absolute deadlines: back-off expiries, pod-worker retries, the kill in progress),
// the spec it runs, and the last status it published. One file per pod under
// <root-dir>/checkpoints/<uid>.json, written atomically (tmp + rename), owner-only.
// Writes are batched: a change marks the pod, and a flush shortly after writes every
// marked pod once. After a crash the newest file may be a little behind the runtime;
// reconciliation (reconcile.ts) lets the runtime win.
import { chmod, mkdir, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Pod, PodStatus } from '../k8s/types.js';

export const CHECKPOINT_VERSION = 1;

export interface PodCheckpoint {
  version: number;
  uid: string;
  /** The pod as the agent ran it (the spec the snapshot belongs to). */
  pod: Pod;
  /** Which source held it, and where from (for orphan handling and messages). */
  source: string;
  origin?: string;
  nodeName: string;
  /** The pod actor's persisted snapshot (getPersistedSnapshot()). */
  snapshot: unknown;
  startTime: number;
  lastStatus?: PodStatus;
  savedAt: number;
}

export class CheckpointStore {
  readonly dir: string;
  private readonly dirty = new Map<string, (() => PodCheckpoint | null) | null>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    rootDir: string,
    private readonly log: (m: string) => void = () => {},
    private readonly delayMs = 50,
  ) {
    this.dir = join(rootDir, 'checkpoints');
  }

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await chmod(this.dir, 0o700);
  }

  /** Every readable checkpoint (leftover .tmp files of an interrupted write are removed). */
  async loadAll(): Promise<Map<string, PodCheckpoint>> {
    const out = new Map<string, PodCheckpoint>();
    let names: string[] = [];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    for (const name of names) {
      const p = join(this.dir, name);
      if (name.endsWith('.tmp')) {
        await unlink(p).catch(() => {});
        continue;
      }
      if (!name.endsWith('.json')) continue;
      try {
        const cp = JSON.parse(await readFile(p, 'utf8')) as PodCheckpoint;
        if (cp.version !== CHECKPOINT_VERSION || !cp.uid || !cp.pod) {
          this.log(`ignoring checkpoint ${p}: version ${cp.version}, expected ${CHECKPOINT_VERSION}`);
          continue;
        }
        out.set(cp.uid, cp);
      } catch (err) {
        this.log(`ignoring unreadable checkpoint ${p}: ${(err as Error).message}`);
      }
    }
    return out;
  }

  /** Marks a pod for writing; `get` is called at flush time (null: nothing to write now). */
  put(uid: string, get: () => PodCheckpoint | null): void {
    this.dirty.set(uid, get);
    this.schedule();
  }

  delete(uid: string): void {
    this.dirty.set(uid, null);
    this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.running) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.run();
    }, this.delayMs);
  }

  private run(): Promise<void> {
    if (this.running) return this.running;
    this.running = (async () => {
      while (this.dirty.size) {
        const batch = [...this.dirty];
        this.dirty.clear();
        for (let i = 0; i < batch.length; i += 32) {
          await Promise.all(batch.slice(i, i + 32).map(([uid, get]) => this.writeOne(uid, get)));
        }
      }
    })().finally(() => {
      this.running = null;
      if (this.dirty.size) this.schedule();
    });
    return this.running;
  }

  private async writeOne(uid: string, get: (() => PodCheckpoint | null) | null): Promise<void> {
    const file = join(this.dir, `${uid}.json`);
    try {
      if (get === null) {
        await unlink(file).catch((e: NodeJS.ErrnoException) => {
          if (e.code !== 'ENOENT') throw e;
        });
        return;
      }
      const cp = get();
      if (!cp) return;
      const tmp = `${file}.tmp`;
      await writeFile(tmp, JSON.stringify(cp), { mode: 0o600 });
      await rename(tmp, file);
    } catch (err) {
      this.log(`writing checkpoint ${file} failed: ${(err as Error).message}`);
    }
  }

  /** Writes everything marked so far. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    while (this.running || this.dirty.size) await this.run();
  }
}
