import { createHash } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { nowNs } from './time.js';
import type * as cri from '../cri/types.js';

/**
 * Normalizes an image reference the way containerd's CRI plugin does
 * (docker reference rules): `busybox` → `docker.io/library/busybox:latest`,
 * `foo/bar` → `docker.io/foo/bar:latest`, registries (a first component with
 * `.`/`:` or `localhost`) kept, `:latest` added when there is no tag or digest.
 * Throws on references docker would reject (empty, whitespace, upper case).
 */
export function normalizeImageRef(ref: string): string {
  const r = ref.trim();
  if (r === '' || /\s/.test(r)) throw new Error('invalid reference format');
  let name = r;
  let digest = '';
  const at = r.indexOf('@');
  if (at >= 0) {
    name = r.slice(0, at);
    digest = r.slice(at);
    if (!/^@[a-z0-9]+:[a-zA-Z0-9=_-]+$/.test(digest)) throw new Error('invalid reference format');
  }
  let tag = '';
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  if (colon > slash) {
    tag = name.slice(colon);
    name = name.slice(0, colon);
    if (!/^:[\w][\w.-]{0,127}$/.test(tag)) throw new Error('invalid reference format');
  }
  if (name === '' || name.endsWith('/') || name.startsWith('/')) throw new Error('invalid reference format');
  const parts = name.split('/');
  const first = parts[0]!;
  const hasRegistry = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  const path = hasRegistry ? parts.slice(1).join('/') : name;
  if (path !== path.toLowerCase()) throw new Error('invalid reference format: repository name must be lowercase');
  if (!hasRegistry) name = parts.length === 1 ? `docker.io/library/${name}` : `docker.io/${name}`;
  else if (first === 'docker.io' && parts.length === 2) name = `docker.io/library/${parts[1]}`;
  if (tag === '' && digest === '') tag = ':latest';
  return name + tag + digest;
}

export interface ImageRec {
  id: string;
  /** The normalized reference (the image's single repo tag or digest). */
  ref: string;
  size: number;
  pulledAt: string;
}

const ID_RE = /^(sha256:)?([0-9a-f]{64})$/;

/** The uid containers run as when their config names none (undefined where there are no uids). */
const RUNTIME_UID: number | undefined = process.getuid?.();

/** Image ids are stable per reference: sha256 of the normalized ref. */
export function imageIdFor(normalizedRef: string): string {
  return `sha256:${createHash('sha256').update(normalizedRef).digest('hex')}`;
}

/**
 * The local image catalogue. No registry is reachable, so PullImage only
 * records the reference; the catalogue is persisted in <stateDir>/images.json.
 */
export class ImageStore {
  private readonly byId = new Map<string, ImageRec>();
  private readonly byRef = new Map<string, ImageRec>();
  private saving: Promise<void> = Promise.resolve();
  private dirty = false;

  constructor(
    private readonly file: string,
    private readonly log: (m: string) => void,
  ) {}

  static async open(stateDir: string, log: (m: string) => void): Promise<ImageStore> {
    const s = new ImageStore(join(stateDir, 'images.json'), log);
    try {
      const list = JSON.parse(await readFile(s.file, 'utf8')) as ImageRec[];
      for (const rec of list) s.add(rec);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') log(`images.json unreadable, starting empty: ${String(err)}`);
    }
    return s;
  }

  private add(rec: ImageRec): void {
    this.byId.set(rec.id, rec);
    this.byRef.set(rec.ref, rec);
  }

  /** By normalized reference, or by image id (with or without `sha256:`). */
  resolve(refOrId: string): ImageRec | undefined {
    const m = ID_RE.exec(refOrId.trim());
    if (m) return this.byId.get(`sha256:${m[2]}`);
    try {
      return this.byRef.get(normalizeImageRef(refOrId));
    } catch {
      return undefined;
    }
  }

  /** Records `ref` (already validated by the caller) and returns its image. */
  pull(ref: string): ImageRec {
    const norm = normalizeImageRef(ref);
    const have = this.byRef.get(norm);
    if (have) return have;
    const id = imageIdFor(norm);
    // A plausible, stable, non-zero size (kubelet image GC sums sizes).
    const size = 1_000_000 + (parseInt(id.slice(7, 15), 16) % 9_000_000);
    const rec: ImageRec = { id, ref: norm, size, pulledAt: nowNs().toString() };
    this.add(rec);
    this.save();
    return rec;
  }

  remove(refOrId: string): boolean {
    const rec = this.resolve(refOrId);
    if (!rec) return false;
    this.byId.delete(rec.id);
    this.byRef.delete(rec.ref);
    this.save();
    return true;
  }

  list(): ImageRec[] {
    return [...this.byId.values()];
  }

  totalSize(): number {
    let n = 0;
    for (const r of this.byId.values()) n += r.size;
    return n;
  }

  toCri(rec: ImageRec): cri.Image {
    const isDigest = rec.ref.includes('@');
    return {
      id: rec.id,
      repoTags: isDigest ? [] : [rec.ref],
      repoDigests: isDigest ? [rec.ref] : [],
      size: String(rec.size),
      // Our images carry no config, and a container without runAsUser runs as the
      // runtime's own user: that is the image user the kubelet checks runAsNonRoot
      // against (containerd reports the image config's numeric USER here).
      uid: RUNTIME_UID === undefined ? null : { value: String(RUNTIME_UID) },
      username: '',
      spec: { image: rec.id, annotations: {} },
      pinned: false,
    };
  }

  /** Writes images.json atomically; calls made while a write runs coalesce into one more write. */
  private save(): void {
    if (this.dirty) return;
    this.dirty = true;
    this.saving = this.saving.then(async () => {
      this.dirty = false;
      const tmp = `${this.file}.tmp`;
      try {
        await writeFile(tmp, JSON.stringify(this.list()), { mode: 0o600 });
        await rename(tmp, this.file);
      } catch (err) {
        this.log(`writing images.json failed: ${String(err)}`);
      }
    });
  }

  flush(): Promise<void> {
    return this.saving;
  }
}
