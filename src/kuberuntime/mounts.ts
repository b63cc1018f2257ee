// A container's CRI mounts as the kubelet generates them (release-1.34):
// kubelet_pods.go makeMounts (volumeMounts with readOnly, subPath/subPathExpr and
// mountPropagation, plus the managed /etc/hosts) and kuberuntime_container.go
// makeMounts (the termination-message file). selinux_relabel stays false: the
// kubelet sets it only where SELinux is enabled.
import { nodeCrypto } from '../lazy-deps.js';
import { promises as fs } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Mount, MountPropagation } from '../cri/types.js';
import type { Container, Pod, VolumeMount } from '../k8s/types.js';
import { podDirectory, setUpPodVolumes, type MountableVolume } from '../volumes/index.js';
import { expandVars, makeEnvironmentVariables, type PodRuntimeFacts } from './env.js';
import { hostsFileContent } from './sandbox.js';

export const ETC_HOSTS_PATH = '/etc/hosts';

/** translateMountPropagation */
export function mountPropagation(mode: VolumeMount['mountPropagation']): MountPropagation {
  switch (mode) {
    case undefined:
    case 'None':
      return 'PROPAGATION_PRIVATE';
    case 'HostToContainer':
      return 'PROPAGATION_HOST_TO_CONTAINER';
    case 'Bidirectional':
      return 'PROPAGATION_BIDIRECTIONAL';
    default:
      throw new Error(`invalid MountPropagation mode: ${JSON.stringify(mode)}`);
  }
}

/** ExpandContainerVolumeMounts: subPathExpr with the container's variables; every reference must resolve to a non-empty value. */
export function expandSubPathExpr(expr: string, env: Map<string, string>): string {
  const missing = new Set<string>();
  const vars = new Map<string, string>();
  for (const m of expr.matchAll(/\$\(([^)]*)\)/g)) {
    const v = env.get(m[1]!);
    if (!v) missing.add(m[1]!);
    else vars.set(m[1]!, v);
  }
  if (missing.size) throw new Error(`missing value for ${[...missing].sort().join(', ')}`);
  return expandVars(expr, vars);
}

/** Where makeMounts puts a (sub)path; subPath directories are created with the volume's mode, and may not escape it. */
async function subPathHostPath(vol: MountableVolume, subPath: string, m: VolumeMount, container: Container): Promise<string> {
  if (subPath.startsWith('/')) throw new Error(`error SubPath \`${subPath}\` must not be an absolute path`);
  if (subPath.split('/').includes('..')) throw new Error(`unable to provision SubPath \`${subPath}\`: must not contain '..'`);
  const hostPath = join(vol.hostPath, subPath);
  let present = true;
  try {
    await fs.lstat(hostPath);
  } catch {
    present = false;
  }
  if (!present) {
    try {
      const mode = (await fs.stat(vol.hostPath)).mode & 0o7777;
      await fs.mkdir(hostPath, { recursive: true, mode });
      await fs.chmod(hostPath, mode);
    } catch {
      // The kubelet hides host details here.
      throw new Error(`failed to create subPath directory for volumeMount ${JSON.stringify(m.name)} of container ${JSON.stringify(container.name)}`);
    }
  }
  // PrepareSafeSubpath: the resolved path must stay inside the volume (no symlink out of it).
  const [real, base] = await Promise.all([fs.realpath(hostPath), fs.realpath(vol.hostPath)]);
  const rel = relative(base, real);
  if (rel.startsWith('..') || resolve(base, rel) !== real) {
    throw new Error(`failed to prepare subPath for volumeMount ${JSON.stringify(m.name)} of container ${JSON.stringify(container.name)}`);
  }
  return real;
}

export interface MakeMountsOptions {
  rootDir: string;
  facts: PodRuntimeFacts;
  volumes: Map<string, MountableVolume>;
  /** Add the kubelet's own mounts (/etc/hosts, the termination-message file); off for the embedded runtime. */
  kubeletMounts: boolean;
}

/** makeMounts for one container. */
export async function makeMounts(pod: Pod, container: Container, opts: MakeMountsOptions): Promise<Mount[]> {
  const env = new Map(makeEnvironmentVariables(pod, container, opts.facts).map((kv) => [kv.key, kv.value]));
  const mounts: Mount[] = [];
  let mountEtcHosts = opts.kubeletMounts && opts.facts.podIPs.length > 0;
  for (const m of container.volumeMounts ?? []) {
    if (m.mountPath === ETC_HOSTS_PATH) mountEtcHosts = false;
    const vol = opts.volumes.get(m.name);
    if (!vol) throw new Error(`cannot find volume ${JSON.stringify(m.name)} to mount into container ${JSON.stringify(container.name)}`);
    let subPath = m.subPath ?? '';
    if (m.subPathExpr) subPath = expandSubPathExpr(m.subPathExpr, env);
    const hostPath = subPath ? await subPathHostPath(vol, subPath, m, container) : vol.hostPath;
    mounts.push({
      containerPath: m.mountPath.startsWith('/') ? m.mountPath : `/${m.mountPath}`,
      hostPath,
      readonly: m.readOnly === true || vol.readOnly,
      selinuxRelabel: false,
      propagation: mountPropagation(m.mountPropagation),
    });
  }
  const podDir = podDirectory(opts.rootDir, pod.metadata.uid ?? '');
  if (mountEtcHosts) {
    const hostsPath = join(podDir, 'etc-hosts');
    await fs.mkdir(podDir, { recursive: true });
    await fs.writeFile(hostsPath, hostsFileContent(pod, opts.facts.podIPs));
    await fs.chmod(hostsPath, 0o644);
    mounts.push({ containerPath: ETC_HOSTS_PATH, hostPath: hostsPath, readonly: false, selinuxRelabel: false, propagation: 'PROPAGATION_PRIVATE' });
  }
  if (opts.kubeletMounts && container.terminationMessagePath) {
    // One file per instance: <pod dir>/containers/<name>/<random id>, mode 0666.
    const dir = join(podDir, 'containers', container.name);
    const file = join(dir, nodeCrypto().randomBytes(4).toString('hex'));
    try {
      await fs.mkdir(dir, { recursive: true });
      await fs.writeFile(file, '');
      await fs.chmod(file, 0o666);
      mounts.push({ containerPath: container.terminationMessagePath, hostPath: file, readonly: false, selinuxRelabel: false, propagation: 'PROPAGATION_PRIVATE' });
    } catch {
      /* the kubelet logs this and goes on without the mount */
    }
  }
  return mounts;
}

/** The pod's volumes set up and this container's mounts, ready for generateContainerConfig. */
export async function prepareContainerMounts(pod: Pod, container: Container, rootDir: string, facts: PodRuntimeFacts, kubeletMounts: boolean): Promise<Mount[]> {
  const volumes = await setUpPodVolumes(pod, rootDir, facts);
  return makeMounts(pod, container, { rootDir, facts, volumes, kubeletMounts });
}
