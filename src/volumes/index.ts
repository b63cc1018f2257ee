// The host side of a pod's volumes, as the kubelet's volume manager and its
// in-tree plugins set them up (pkg/volume/emptydir, hostpath, downwardapi,
// projected and pkg/volume/util/atomic_writer.go, release-1.34), under the pod's
// own directory `<root-dir>/pods/<uid>` (the kubelet's --root-dir layout):
//
//   volumes/kubernetes.io~empty-dir/<name>     emptyDir (a tmpfs with medium: Memory)
//   volumes/kubernetes.io~downward-api/<name>  downwardAPI files
//   volumes/kubernetes.io~projected/<name>     projected (downwardAPI sources)
//   containers/<container>/<id>                termination-message files
//   etc-hosts                                  the managed /etc/hosts
//
// Set-up is idempotent and runs before every CreateContainer, so an emptyDir
// outlives container restarts and sandbox re-creation; tearDownPodVolumes
// removes it all when the pod is removed.
import { nodeChildProcess, nodeCrypto } from '../lazy-deps.js';
import { promises as fs, constants as fsConstants } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { Quantity } from '../k8s/quantity.js';
import type { Container, DownwardAPIVolumeFile, Pod, Volume } from '../k8s/types.js';
import { podFieldValue, resourceContainer, type PodRuntimeFacts } from '../kuberuntime/env.js';
import { containerResourceValue } from '../kuberuntime/resources.js';

/** mount/umount; node:child_process is loaded by the first tmpfs mount or unmount, not at import. */
const run = (cmd: string, args: string[]) => promisify(nodeChildProcess().execFile)(cmd, args);

export const EMPTY_DIR_PLUGIN = 'kubernetes.io~empty-dir';
export const DOWNWARD_API_PLUGIN = 'kubernetes.io~downward-api';
export const PROJECTED_PLUGIN = 'kubernetes.io~projected';

/** A volume ready to be mounted: where it is on the host, and whether the plugin forces it read-only. */
export interface MountableVolume {
  name: string;
  hostPath: string;
  /** downwardAPI and projected volumes are always mounted read-only (Mounter.GetAttributes().ReadOnly). */
  readOnly: boolean;
  /** A hostPath volume: the path is the user's, not statelet's. */
  external: boolean;
}

/** A volume set-up failure, worded as the kubelet's FailedMount event: `MountVolume.SetUp failed for volume "x" : ...`. */
export class VolumeSetupError extends Error {
  override name = 'VolumeSetupError';
  constructor(
    readonly volume: string,
    detail: string,
  ) {
    super(`MountVolume.SetUp failed for volume ${JSON.stringify(volume)} : ${detail}`);
  }
}

export function podDirectory(rootDir: string, uid: string): string {
  return join(rootDir, 'pods', uid);
}

export function podVolumeDir(rootDir: string, uid: string, plugin: string, name: string): string {
  return join(podDirectory(rootDir, uid), 'volumes', plugin, name);
}

/** Mount points under `prefix`, from /proc/self/mountinfo (octal escapes decoded). */
async function mountsUnder(prefix: string): Promise<string[]> {
  let text: string;
  try {
    text = await fs.readFile('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const mp = line.split(' ')[4];
    if (!mp) continue;
    const path = mp.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (path === prefix || path.startsWith(prefix + '/')) out.push(path);
  }
  return out;
}

/** ResourceConfigForPod's memory: the pod's limit when every container has one (or the pod-level limit). */
function podMemoryLimit(pod: Pod): number | undefined {
  const val = (v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const q = Quantity.tryParse(v);
    return typeof q === 'string' ? undefined : q.value();
  };
  const podLevel = val(pod.spec.resources?.limits?.['memory']);
  if (podLevel) return podLevel;
  let sum = 0;
  for (const c of pod.spec.containers) {
    const l = val(c.resources?.limits?.['memory']);
    if (!l) return undefined;
    sum += l;
  }
  let initMax = 0;
  for (const c of pod.spec.initContainers ?? []) {
    const l = val(c.resources?.limits?.['memory']);
    if (!l) return undefined;
    if (c.restartPolicy === 'Always') sum += l;
    else initMax = Math.max(initMax, l);
  }
  return Math.max(sum, initMax);
}

/** calculateEmptyDirMemorySize: node allocatable, or less: the pod's memory limit, or less: the volume's sizeLimit. */
export function emptyDirMemorySize(pod: Pod, volume: Volume, nodeAllocatable: number): number {
  let size = nodeAllocatable;
  const podLimit = podMemoryLimit(pod);
  if (podLimit && podLimit > 0 && podLimit <= size) size = podLimit;
  if (volume.emptyDir?.sizeLimit !== undefined) {
    const q = Quantity.tryParse(volume.emptyDir.sizeLimit);
    if (typeof q !== 'string' && q.value() > 0 && q.value() <= size) size = q.value();
  }
  return size;
}

/** emptyDir setupDir: the directory, world-writable (0777 whatever the umask), and a tmpfs for medium: Memory. */
async function setUpEmptyDir(pod: Pod, v: Volume, dir: string, facts: PodRuntimeFacts): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  if (v.emptyDir?.medium === 'Memory' && (await mountsUnder(dir)).indexOf(dir) < 0) {
    const size = emptyDirMemorySize(pod, v, facts.node.memoryCapacityBytes);
    try {
      await run('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new VolumeSetupError(v.name, `mount failed: ${(e.stderr || e.message).trim()} (a memory-backed emptyDir needs root)`);
    }
  }
  const st = await fs.stat(dir);
  if ((st.mode & 0o777) !== 0o777) await fs.chmod(dir, 0o777);
}

const exists = async (p: string): Promise<boolean> => {
  try {
    await fs.lstat(p);
    return true;
  } catch {
    return false;
  }
};

/** hostPath type checks (pkg/volume/hostpath checkTypeInternal), creating what *OrCreate asks for. */
export async function checkHostPathType(path: string, type: string | undefined): Promise<void> {
  const stat = async () => {
    try {
      return await fs.stat(path);
    } catch {
      return undefined;
    }
  };
  let type_ = type ?? '';
  const st = await stat();
  if (type_ === 'DirectoryOrCreate') {
    if (!st) {
      await fs.mkdir(path, { recursive: true, mode: 0o755 });
      return;
    }
    type_ = 'Directory';
  } else if (type_ === 'FileOrCreate') {
    if (!st) {
      const fh = await fs.open(path, fsConstants.O_CREAT | fsConstants.O_RDONLY, 0o644);
      await fh.close();
      return;
    }
    type_ = 'File';
  }
  switch (type_) {
    case '':
      return;
    case 'Directory':
      if (!st?.isDirectory()) throw new Error(`hostPath type check failed: ${path} is not a directory`);
      return;
    case 'File':
      if (!st?.isFile()) throw new Error(`hostPath type check failed: ${path} is not a file`);
      return;
    case 'Socket':
      if (!st?.isSocket()) throw new Error(`hostPath type check failed: ${path} is not a socket file`);
      return;
    case 'CharDevice':
      if (!st?.isCharacterDevice()) throw new Error(`hostPath type check failed: ${path} is not a character device`);
      return;
    case 'BlockDevice':
      if (!st?.isBlockDevice()) throw new Error(`hostPath type check failed: ${path} is not a block device`);
      return;
    default:
      throw new Error(`${type} is an invalid volume type`);
  }
}

interface PayloadFile {
  content: string;
  mode: number;
}

/** The files of a downwardAPI item list (downwardapi.CollectData). */
function downwardPayload(pod: Pod, items: DownwardAPIVolumeFile[], defaultMode: number, facts: PodRuntimeFacts, into: Map<string, PayloadFile>): void {
  for (const it of items) {
    let content = '';
    if (it.fieldRef) content = podFieldValue(pod, it.fieldRef.fieldPath, facts);
    else if (it.resourceFieldRef) {
      const ref = it.resourceFieldRef;
      const c: Container = resourceContainer(pod, pod.spec.containers[0]!, ref.containerName);
      content = containerResourceValue(pod, c, ref.resource, ref.divisor, facts.node);
    }
    into.set(it.path, { content, mode: it.mode ?? defaultMode });
  }
}

/**
 * AtomicWriter.Write: the payload goes into a fresh `..<timestamp>` directory,
 * `..data` is switched to it by one rename, and each top-level name is a symlink
 * through `..data`. A reader never sees half an update. Unchanged payloads are not rewritten.
 */
export async function atomicWrite(dir: string, payload: Map<string, PayloadFile>, gid?: number): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  const dataLink = join(dir, '..data');
  let current: string | undefined;
  try {
    current = await fs.readlink(dataLink);
  } catch {
    /* first write */
  }
  if (current) {
    let same = true;
    for (const [p, f] of payload) {
      try {
        const full = join(dir, current, p);
        const [text, st] = await Promise.all([fs.readFile(full, 'utf8'), fs.stat(full)]);
        if (text !== f.content || (st.mode & 0o777) !== f.mode) same = false;
      } catch {
        same = false;
      }
      if (!same) break;
    }
    if (same) {
      const existing = (await fs.readdir(join(dir, current), { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).length;
      if (existing === payload.size) return;
    }
  }
  const stamp = `..${new Date().toISOString().replace(/[-:]/g, '_').replace('T', '_')}.${nodeCrypto().randomBytes(4).toString('hex')}`;
  const tsDir = join(dir, stamp);
  await fs.mkdir(tsDir, { mode: 0o755 });
  for (const [p, f] of payload) {
    const full = join(tsDir, p);
    await fs.mkdir(dirname(full), { recursive: true, mode: 0o755 });
    await fs.writeFile(full, f.content);
    await fs.chmod(full, f.mode);
    if (gid !== undefined) await fs.chown(full, -1, gid).catch(() => {});
  }
  const tmpLink = join(dir, '..data_tmp');
  await fs.rm(tmpLink, { force: true });
  await fs.symlink(stamp, tmpLink);
  await fs.rename(tmpLink, dataLink);
  const top = new Set([...payload.keys()].map((p) => p.split('/')[0]!));
  for (const name of top) {
    const link = join(dir, name);
    if (!(await exists(link))) await fs.symlink(join('..data', name), link);
  }
  // Old payloads and user-visible names that are gone.
  for (const entry of await fs.readdir(dir)) {
    if (entry === '..data' || entry === stamp) continue;
    if (entry.startsWith('..')) await fs.rm(join(dir, entry), { recursive: true, force: true });
    else if (!top.has(entry)) await fs.rm(join(dir, entry), { force: true });
  }
}

/**
 * SetVolumeOwnership for fsGroup: the volume's files belong to the group, which may
 * read (and, for a writable volume, write) them; directories get setgid so new files
 * inherit the group. OnRootMismatch skips the walk when the root already matches.
 */
async function setVolumeOwnership(dir: string, gid: number, readOnly: boolean, policy: string | undefined): Promise<void> {
  const root = await fs.stat(dir);
  const wantDir = readOnly ? 0o2050 : 0o2070;
  if (policy === 'OnRootMismatch' && root.gid === gid && (root.mode & wantDir) === wantDir) return;
  const walk = async (p: string): Promise<void> => {
    const st = await fs.lstat(p);
    if (st.isSymbolicLink()) return;
    await fs.chown(p, -1, gid).catch(() => {});
    if (st.isDirectory()) {
      await fs.chmod(p, (st.mode & 0o7777) | wantDir).catch(() => {});
      for (const e of await fs.readdir(p)) await walk(join(p, e));
    } else {
      await fs.chmod(p, (st.mode & 0o7777) | (readOnly ? 0o040 : 0o060)).catch(() => {});
    }
  };
  await walk(dir);
}

/**
 * Sets up every volume of the pod (idempotent) and returns them by name. A failure
 * is a VolumeSetupError naming the volume, as the kubelet's FailedMount.
 */
export async function setUpPodVolumes(pod: Pod, rootDir: string, facts: PodRuntimeFacts): Promise<Map<string, MountableVolume>> {
  const uid = pod.metadata.uid ?? '';
  const out = new Map<string, MountableVolume>();
  const fsGroup = pod.spec.securityContext?.fsGroup;
  const policy = pod.spec.securityContext?.fsGroupChangePolicy;
  for (const v of pod.spec.volumes ?? []) {
    try {
      if (v.emptyDir) {
        const dir = podVolumeDir(rootDir, uid, EMPTY_DIR_PLUGIN, v.name);
        await setUpEmptyDir(pod, v, dir, facts);
        if (fsGroup !== undefined) await setVolumeOwnership(dir, fsGroup, false, policy);
        out.set(v.name, { name: v.name, hostPath: dir, readOnly: false, external: false });
      } else if (v.hostPath) {
        await checkHostPathType(v.hostPath.path, v.hostPath.type);
        // hostPath volumes are not subject to fsGroup (the kubelet leaves the host's files alone).
        out.set(v.name, { name: v.name, hostPath: v.hostPath.path, readOnly: false, external: true });
      } else if (v.downwardAPI || v.projected) {
        const payload = new Map<string, PayloadFile>();
        const plugin = v.downwardAPI ? DOWNWARD_API_PLUGIN : PROJECTED_PLUGIN;
        if (v.downwardAPI) downwardPayload(pod, v.downwardAPI.items ?? [], v.downwardAPI.defaultMode ?? 0o644, facts, payload);
        for (const src of v.projected?.sources ?? []) {
          if (src.downwardAPI) downwardPayload(pod, src.downwardAPI.items ?? [], v.projected!.defaultMode ?? 0o644, facts, payload);
        }
        const dir = podVolumeDir(rootDir, uid, plugin, v.name);
        await atomicWrite(dir, payload, fsGroup);
        if (fsGroup !== undefined) await setVolumeOwnership(dir, fsGroup, true, policy);
        out.set(v.name, { name: v.name, hostPath: dir, readOnly: true, external: false });
      }
    } catch (err) {
      if (err instanceof VolumeSetupError) throw err;
      throw new VolumeSetupError(v.name, (err as Error).message);
    }
  }
  return out;
}

/** Unmounts the pod's tmpfs volumes and removes its directory (the kubelet's orphaned-pod cleanup, done at once). */
export async function tearDownPodVolumes(rootDir: string, uid: string): Promise<void> {
  if (!uid) return;
  const dir = podDirectory(rootDir, uid);
  const mounts = (await mountsUnder(dir)).sort((a, b) => b.length - a.length);
  for (const m of mounts) {
    try {
      await run('umount', [m]);
    } catch {
      await run('umount', ['-l', m]).catch(() => {});
    }
  }
  if ((await mountsUnder(dir)).length > 0) throw new Error(`cannot remove ${dir}: volumes are still mounted`);
  await fs.rm(dir, { recursive: true, force: true });
}
