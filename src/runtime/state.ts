import { mkdir, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export type Kind = 'sandboxes' | 'containers';

/**
 * Persists one JSON file per sandbox/container (<stateDir>/<kind>/<id>.json),
 * written atomically (tmp + rename). Changes are batched: a call only marks
 * the record dirty, and a flush ~100 ms later writes every dirty record once,
 * so a create+start burst costs one small write per record, not one full
 * rewrite per call. `flush()` resolves once everything marked is on disk.
 */
export class StateStore {
  private dirty = new Map<string, { kind: Kind; id: string; get: (() => unknown) | null }>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    readonly dir: string,
    private readonly log: (m: string) => void,
    private readonly delayMs = 100,
  ) {}

  async init(): Promise<void> {
    // State files describe what runs as whom: owner-only whatever the umask (modes given to
    // mkdir/open are only ever narrowed by the umask).
    await Promise.all([mkdir(join(this.dir, 'sandboxes'), { recursive: true, mode: 0o700 }), mkdir(join(this.dir, 'containers'), { recursive: true, mode: 0o700 })]);
  }

  async loadAll<T>(kind: Kind): Promise<T[]> {
    const dir = join(this.dir, kind);
    const out: T[] = [];
    for (const name of await readdir(dir)) {
      const p = join(dir, name);
      if (name.endsWith('.tmp')) {
        await unlink(p).catch(() => {});
        continue;
      }
      if (!name.endsWith('.json')) continue;
      try {
        out.push(JSON.parse(await readFile(p, 'utf8')) as T);
      } catch (err) {
        this.log(`skipping unreadable state file ${p}: ${String(err)}`);
      }
    }
    return out;
  }

  /** Marks a record for writing; `get` is called at flush time for its current value. */
  put(kind: Kind, id: string, get: () => unknown): void {
    this.dirty.set(`${kind}/${id}`, { kind, id, get });
    this.schedule();
  }

  del(kind: Kind, id: string): void {
    this.dirty.set(`${kind}/${id}`, { kind, id, get: null });
    this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.running) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.runBatches();
    }, this.delayMs);
    this.timer.unref();
  }

  private runBatches(): Promise<void> {
    if (this.running) return this.running;
    this.running = (async () => {
      while (this.dirty.size > 0) {
        const batch = [...this.dirty.values()];
        this.dirty = new Map();
        for (let i = 0; i < batch.length; i += 32) {
          await Promise.all(batch.slice(i, i + 32).map((e) => this.writeOne(e.kind, e.id, e.get)));
        }
      }
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async writeOne(kind: Kind, id: string, get: (() => unknown) | null): Promise<void> {
    const file = join(this.dir, kind, `${id}.json`);
    try {
      if (get === null) {
        await unlink(file).catch((e: NodeJS.ErrnoException) => {
          if (e.code !== 'ENOENT') throw e;
        });
        return;
      }
      const tmp = `${file}.tmp`;
      await writeFile(tmp, JSON.stringify(get()), { mode: 0o600 });
      await rename(tmp, file);
    } catch (err) {
      this.log(`persisting ${kind}/${id} failed: ${String(err)}`);
    }
  }

  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    while (this.running || this.dirty.size > 0) await this.runBatches();
  }
}
