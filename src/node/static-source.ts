// The kubelet's file source (pkg/kubelet/config/file.go, file_linux.go) for a
// directory of static pod manifests: every *.yaml, *.yml and *.json file not
// starting with `.` is one Pod. Changes are picked up from inotify events (within
// a moment) and by a full re-scan every fileCheckFrequency (20 s), as the kubelet
// does. An invalid file is reported and leaves every other pod alone; the pod it
// held before, if any, keeps running, as an invalid edit does under `statelet run`.
import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { ManifestError, type FieldError } from '../k8s/manifest.js';
import type { Pod } from '../k8s/types.js';
import type { PodSource, PodSourceHandlers, SourcedPod } from './pod-source.js';
import { FILE_SOURCE, loadStaticPod, parseUidless } from './static-pod.js';
import type { FeatureGates } from '../../machines/features.js';

/** The kubelet's fileCheckFrequency default. */
export const FILE_CHECK_FREQUENCY_MS = 20_000;

const EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

export function isManifestFile(name: string): boolean {
  return !name.startsWith('.') && EXTENSIONS.has(extname(name).toLowerCase());
}

export interface StaticPodSourceOptions {
  dir: string;
  nodeName: string;
  /** Full re-scan period (default 20 s). */
  rescanMs?: number;
  /** How long to wait after an fs event before reading (coalesces an editor's burst of writes). */
  debounceMs?: number;
  log?: (msg: string) => void;
  /** Kubelet feature gates the manifests are validated with (default: the 1.36 defaults). */
  gates?: Readonly<FeatureGates>;
}

interface FileEntry {
  text: string;
  pod?: SourcedPod;
  /** The errors last reported for this text (reported once per distinct content). */
  problem?: string;
}

export class StaticPodSource implements PodSource {
  readonly name = FILE_SOURCE;
  private readonly dir: string;
  private readonly files = new Map<string, FileEntry>();
  private watcher?: FSWatcher;
  private rescanTimer?: NodeJS.Timeout;
  private debounce?: NodeJS.Timeout;
  private handlers?: PodSourceHandlers;
  private scanning?: Promise<void>;
  private again = false;
  private stopped = false;
  private lastSet = '';

  constructor(private readonly opts: StaticPodSourceOptions) {
    this.dir = resolve(opts.dir);
  }

  async start(handlers: PodSourceHandlers): Promise<void> {
    this.handlers = handlers;
    try {
      this.watcher = watch(this.dir, { persistent: false }, () => this.poke());
      this.watcher.on('error', (err) => this.opts.log?.(`watching ${this.dir} failed (${err.message}); re-scanning every ${(this.opts.rescanMs ?? FILE_CHECK_FREQUENCY_MS) / 1000}s only`));
    } catch (err) {
      this.opts.log?.(`cannot watch ${this.dir} (${(err as Error).message}); re-scanning every ${(this.opts.rescanMs ?? FILE_CHECK_FREQUENCY_MS) / 1000}s only`);
    }
    await this.scan(true);
    const tick = () => {
      void this.scan().finally(() => {
        if (this.stopped) return;
        this.rescanTimer = setTimeout(tick, this.opts.rescanMs ?? FILE_CHECK_FREQUENCY_MS);
        this.rescanTimer.unref();
      });
    };
    this.rescanTimer = setTimeout(tick, this.opts.rescanMs ?? FILE_CHECK_FREQUENCY_MS);
    this.rescanTimer.unref();
  }

  stop(): void {
    this.stopped = true;
    this.watcher?.close();
    if (this.rescanTimer) clearTimeout(this.rescanTimer);
    if (this.debounce) clearTimeout(this.debounce);
  }

  private poke(): void {
    if (this.stopped || this.debounce) return;
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      void this.scan();
    }, this.opts.debounceMs ?? 50);
  }

  /** One scan at a time; a request during a scan runs one more after it. */
  scan(force = false): Promise<void> {
    if (this.scanning) {
      this.again = true;
      return this.scanning;
    }
    this.scanning = this.doScan(force).finally(() => {
      this.scanning = undefined;
      if (this.again && !this.stopped) {
        this.again = false;
        void this.scan();
      }
    });
    return this.scanning;
  }

  private async doScan(force: boolean): Promise<void> {
    let names: string[];
    try {
      names = (await readdir(this.dir)).filter(isManifestFile).sort();
    } catch (err) {
      // A missing directory holds no pods (file.go: the source is still marked seen).
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.opts.log?.(`cannot read ${this.dir}: ${(err as Error).message}`);
      names = [];
    }
    const seen = new Set<string>();
    for (const name of names) {
      const path = join(this.dir, name);
      let text: string;
      try {
        if (!(await stat(path)).isFile()) continue;
        text = await readFile(path, 'utf8');
      } catch {
        continue; // removed (or renamed) meanwhile: the next event sees it
      }
      seen.add(path);
      const prev = this.files.get(path);
      if (prev && prev.text === text) continue;
      this.files.set(path, this.load(path, text, prev));
    }
    for (const path of [...this.files.keys()]) if (!seen.has(path)) this.files.delete(path);
    if (this.stopped) return;
    const pods = [...this.files.values()].flatMap((f) => (f.pod ? [f.pod] : []));
    const key = pods.map((p) => `${p.origin}\u0000${p.pod.metadata.uid}\u0000${JSON.stringify(p.pod.spec)}`).join('\u0001');
    if (!force && key === this.lastSet) return;
    this.lastSet = key;
    this.handlers?.set(pods);
  }

  private load(path: string, text: string, prev: FileEntry | undefined): FileEntry {
    try {
      const pod: Pod = loadStaticPod(text, { nodeName: this.opts.nodeName, source: path, suffixName: true, gates: this.opts.gates });
      return { text, pod: { pod, origin: path, fixedUid: !parseUidless(text, path) } };
    } catch (err) {
      const errors: FieldError[] = err instanceof ManifestError ? err.errors : [{ field: '', message: (err as Error).message }];
      const entry: FileEntry = { text, pod: prev?.pod, problem: JSON.stringify(errors) };
      if (prev?.problem !== entry.problem || prev?.text !== text) {
        this.handlers?.problem({ source: this.name, origin: path, errors, lastGood: prev?.pod?.pod });
      }
      return entry;
    }
  }
}
