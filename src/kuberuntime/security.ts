// The CRI security contexts the kubelet generates (release-1.34):
// pkg/kubelet/kuberuntime/security_context.go determineEffectiveSecurityContext
// and convertToRuntimeSecurityContext, pkg/securitycontext/util.go
// DetermineEffectiveSecurityContext / AddNoNewPrivileges / masked and read-only
// /proc paths, helpers.go getSeccompProfile and getAppArmorProfile, and
// kuberuntime_sandbox_linux.go generatePodSandboxLinuxConfig.
import { join } from 'node:path';
import type { LinuxContainerSecurityContext, LinuxSandboxSecurityContext, SecurityProfile } from '../cri/types.js';
import type { AppArmorProfile, Container, Pod, SeccompProfile, SecurityContext } from '../k8s/types.js';
import { containerNamespaceOptions } from './security-context.js';

/** securitycontext.defaultMaskedPaths */
export const DEFAULT_MASKED_PATHS = [
  '/proc/asound',
  '/proc/acpi',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
];
/** securitycontext.defaultReadonlyPaths */
export const DEFAULT_READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/**
 * DetermineEffectiveSecurityContext: the pod's runAsUser, runAsGroup, runAsNonRoot,
 * seLinuxOptions and windowsOptions, overridden field by field by the container's.
 */
export function determineEffectiveSecurityContext(pod: Pod, container: Container): SecurityContext {
  const p = pod.spec.securityContext;
  const out: SecurityContext = {};
  if (p) {
    if (p.seLinuxOptions) out.seLinuxOptions = { ...p.seLinuxOptions };
    if (p.windowsOptions) out.windowsOptions = { ...p.windowsOptions };
    if (p.runAsUser !== undefined) out.runAsUser = p.runAsUser;
    if (p.runAsGroup !== undefined) out.runAsGroup = p.runAsGroup;
    if (p.runAsNonRoot !== undefined) out.runAsNonRoot = p.runAsNonRoot;
  }
  const c = container.securityContext;
  if (!c) return out;
  for (const k of [
    'seLinuxOptions',
    'windowsOptions',
    'capabilities',
    'privileged',
    'runAsUser',
    'runAsGroup',
    'runAsNonRoot',
    'readOnlyRootFilesystem',
    'allowPrivilegeEscalation',
    'procMount',
  ] as const) {
    if (c[k] !== undefined) (out as Record<string, unknown>)[k] = c[k];
  }
  return out;
}

/**
 * fieldProfile: the CRI seccomp profile for the container's profile, else the pod's,
 * else Unconfined (the kubelet's --seccomp-default is off by default). A Localhost
 * profile is a file under <root-dir>/seccomp.
 */
export function seccompProfile(pod: Pod, container: Container, rootDir: string): SecurityProfile {
  const scmp: SeccompProfile | undefined = container.securityContext?.seccompProfile ?? pod.spec.securityContext?.seccompProfile;
  if (!scmp) return { profileType: 'Unconfined' };
  if (scmp.type === 'RuntimeDefault') return { profileType: 'RuntimeDefault' };
  if (scmp.type === 'Localhost') {
    if (!scmp.localhostProfile) throw new Error('localhostProfile must be set if seccompProfile type is Localhost.');
    return { profileType: 'Localhost', localhostRef: join(rootDir, 'seccomp', scmp.localhostProfile) };
  }
  return { profileType: 'Unconfined' };
}

/** getAppArmorProfile: the CRI profile and its deprecated string form, or nothing when none is set. */
export function appArmorProfile(pod: Pod, container: Container): { apparmor?: SecurityProfile; apparmorProfile?: string } {
  let p: AppArmorProfile | undefined = container.securityContext?.appArmorProfile ?? pod.spec.securityContext?.appArmorProfile;
  if (!p) {
    // The deprecated per-container annotation (still read by the kubelet in 1.34).
    const a = pod.metadata.annotations?.[`container.apparmor.security.beta.kubernetes.io/${container.name}`];
    if (a === 'runtime/default') p = { type: 'RuntimeDefault' };
    else if (a === 'unconfined') p = { type: 'Unconfined' };
    else if (a?.startsWith('localhost/') && a.length > 'localhost/'.length) p = { type: 'Localhost', localhostProfile: a.slice('localhost/'.length) };
  }
  if (!p) return {};
  switch (p.type) {
    case 'RuntimeDefault':
      return { apparmor: { profileType: 'RuntimeDefault' }, apparmorProfile: 'runtime/default' };
    case 'Unconfined':
      return { apparmor: { profileType: 'Unconfined' }, apparmorProfile: 'unconfined' };
    case 'Localhost':
      if (!p.localhostProfile) throw new Error('missing localhost apparmor profile name');
      return { apparmor: { profileType: 'Localhost', localhostRef: p.localhostProfile }, apparmorProfile: `localhost/${p.localhostProfile}` };
    default:
      throw new Error(`invalid AppArmor profile type: ${String(p.type)}`);
  }
}

/** determineEffectiveSecurityContext: the container's LinuxContainerSecurityContext (namespaces added by the caller). */
export function containerSecurityContext(pod: Pod, container: Container, rootDir: string): LinuxContainerSecurityContext {
  const sc = determineEffectiveSecurityContext(pod, container);
  const out: LinuxContainerSecurityContext = {};
  if (sc.capabilities) out.capabilities = { addCapabilities: [...(sc.capabilities.add ?? [])], dropCapabilities: [...(sc.capabilities.drop ?? [])] };
  if (sc.seLinuxOptions) out.selinuxOptions = { ...sc.seLinuxOptions };
  if (sc.runAsUser !== undefined) out.runAsUser = { value: sc.runAsUser };
  if (sc.runAsGroup !== undefined) out.runAsGroup = { value: sc.runAsGroup };
  if (sc.privileged !== undefined) out.privileged = sc.privileged;
  if (sc.readOnlyRootFilesystem !== undefined) out.readonlyRootfs = sc.readOnlyRootFilesystem;
  out.seccomp = seccompProfile(pod, container, rootDir);
  Object.assign(out, appArmorProfile(pod, container));
  const podSc = pod.spec.securityContext;
  const groups = [...(podSc?.fsGroup !== undefined ? [podSc.fsGroup] : []), ...(podSc?.supplementalGroups ?? [])];
  if (groups.length) out.supplementalGroups = groups;
  // AddNoNewPrivileges: only an explicit allowPrivilegeEscalation: false sets no_new_privs.
  out.noNewPrivs = sc.allowPrivilegeEscalation === false;
  const unmasked = sc.procMount === 'Unmasked';
  out.maskedPaths = unmasked ? [] : [...DEFAULT_MASKED_PATHS];
  out.readonlyPaths = unmasked ? [] : [...DEFAULT_READONLY_PATHS];
  return out;
}

/** kubecontainer.HasPrivilegedContainer: any container of the pod, ephemeral ones included. */
export function hasPrivilegedContainer(pod: Pod): boolean {
  return [...pod.spec.containers, ...(pod.spec.initContainers ?? []), ...(pod.spec.ephemeralContainers ?? [])].some(
    (c) => c.securityContext?.privileged === true,
  );
}

/** generatePodSandboxLinuxConfig's security context and sysctls. */
export function sandboxSecurityContext(pod: Pod): { securityContext: LinuxSandboxSecurityContext; sysctls: Record<string, string> } {
  const sc: LinuxSandboxSecurityContext = {
    privileged: hasPrivilegedContainer(pod),
    // The sandbox always runs RuntimeDefault, so pod-level profiles may be stricter (kubernetes#84623).
    seccomp: { profileType: 'RuntimeDefault' },
  };
  const sysctls: Record<string, string> = {};
  const p = pod.spec.securityContext;
  for (const s of p?.sysctls ?? []) sysctls[s.name] = s.value;
  if (p) {
    if (p.runAsUser !== undefined) sc.runAsUser = { value: p.runAsUser };
    if (p.runAsGroup !== undefined) sc.runAsGroup = { value: p.runAsGroup };
    sc.namespaceOptions = containerNamespaceOptions(pod);
    const groups = [...(p.fsGroup !== undefined ? [p.fsGroup] : []), ...(p.supplementalGroups ?? [])];
    if (groups.length) sc.supplementalGroups = groups;
    if (p.seLinuxOptions) sc.selinuxOptions = { ...p.seLinuxOptions };
  } else {
    sc.namespaceOptions = containerNamespaceOptions(pod);
  }
  return { securityContext: sc, sysctls };
}
