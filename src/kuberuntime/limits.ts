// Fields a valid pod may set that a runtime cannot honour. The manager reports
// them in one Warning event per pod (reason UnsupportedFields) instead of
// dropping them silently; README "The embedded runtime" lists the same.
import type { Container, Pod } from '../k8s/types.js';

export const UNSUPPORTED_FIELDS_REASON = 'UnsupportedFields';

/** Not enforced anywhere in statelet: the kubelet enforces these with its eviction manager. */
function evictionOnly(pod: Pod, out: string[]): void {
  const lists: [string, Container[] | undefined][] = [
    ['containers', pod.spec.containers],
    ['initContainers', pod.spec.initContainers],
  ];
  for (const [name, list] of lists) {
    (list ?? []).forEach((c, i) => {
      for (const k of ['limits', 'requests'] as const) {
        if (c.resources?.[k]?.['ephemeral-storage'] !== undefined) out.push(`spec.${name}[${i}].resources.${k}[ephemeral-storage] (enforced by the kubelet's eviction manager, which statelet does not have)`);
      }
    });
  }
  (pod.spec.volumes ?? []).forEach((v, i) => {
    if (v.emptyDir?.sizeLimit !== undefined && v.emptyDir.medium !== 'Memory') {
      out.push(`spec.volumes[${i}].emptyDir.sizeLimit (a disk-backed emptyDir's limit is enforced by eviction, which statelet does not have)`);
    }
  });
}

const CONTAINER_SC_IGNORED = ['privileged', 'capabilities', 'readOnlyRootFilesystem', 'allowPrivilegeEscalation', 'seccompProfile', 'appArmorProfile', 'seLinuxOptions', 'procMount'] as const;
const POD_SC_IGNORED = ['fsGroup', 'supplementalGroups', 'sysctls', 'seccompProfile', 'appArmorProfile', 'seLinuxOptions', 'fsGroupChangePolicy'] as const;

/**
 * The fields of `pod` that the embedded runtime ignores: it runs each container as a
 * plain host process (no namespaces, cgroups, mounts or security profiles; only
 * runAsUser and runAsGroup are applied). Volume mounts are not listed: those fail
 * CreateContainer there instead.
 */
export function embeddedRuntimeIgnores(pod: Pod): string[] {
  const out: string[] = [];
  const lists: [string, Container[] | undefined][] = [
    ['initContainers', pod.spec.initContainers],
    ['containers', pod.spec.containers],
    ['ephemeralContainers', pod.spec.ephemeralContainers],
  ];
  for (const [name, list] of lists) {
    (list ?? []).forEach((c, i) => {
      const f = `spec.${name}[${i}]`;
      const r = c.resources;
      if (r && (Object.keys(r.limits ?? {}).length || Object.keys(r.requests ?? {}).length)) out.push(`${f}.resources (no cgroups)`);
      for (const k of CONTAINER_SC_IGNORED) if (c.securityContext?.[k] !== undefined) out.push(`${f}.securityContext.${k}`);
      (c.ports ?? []).forEach((p, j) => {
        if (p.hostPort && (p.hostPort !== p.containerPort || p.hostIP)) out.push(`${f}.ports[${j}].hostPort (containers share the host network: the container port is the host port)`);
      });
      if (c.stdin || c.tty) out.push(`${f}.${c.tty ? 'tty' : 'stdin'}`);
    });
  }
  if (pod.spec.resources) out.push('spec.resources (no cgroups)');
  for (const k of POD_SC_IGNORED) {
    const v = pod.spec.securityContext?.[k];
    if (v !== undefined && !(Array.isArray(v) && v.length === 0)) out.push(`spec.securityContext.${k}`);
  }
  if (pod.spec.dnsPolicy === 'None' || pod.spec.dnsConfig) out.push(`spec.${pod.spec.dnsConfig ? 'dnsConfig' : 'dnsPolicy'} (processes use the host's /etc/resolv.conf)`);
  if (pod.spec.hostAliases?.length) out.push("spec.hostAliases (processes use the host's /etc/hosts)");
  if (pod.spec.hostname || pod.spec.subdomain || pod.spec.setHostnameAsFQDN) out.push('spec.hostname/subdomain (only $HOSTNAME is set; the UTS hostname is the host\'s)');
  if (pod.spec.shareProcessNamespace) out.push('spec.shareProcessNamespace (every process sees the host\'s PID namespace)');
  evictionOnly(pod, out);
  return out;
}

/** The fields no statelet runtime enforces (containerd honours all the others). */
export function criRuntimeIgnores(pod: Pod): string[] {
  const out: string[] = [];
  evictionOnly(pod, out);
  return out;
}

export function unsupportedFieldsMessage(runtime: string, fields: string[]): string {
  return `${runtime} cannot honour these fields, which are ignored: ${fields.join('; ')}`;
}
