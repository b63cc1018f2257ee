// Pod sandbox and container configs as the kubelet generates them
// (generatePodSandboxConfig, generateContainerConfig).
import { join } from 'node:path';
import type { ContainerConfig, KeyValue, PodSandboxConfig } from '../cri/types.js';
import type { Container, Pod } from '../k8s/types.js';
import { newContainerAnnotations, newContainerLabels, newPodAnnotations, newPodLabels } from './labels.js';
import { containerNamespaceOptions } from './security-context.js';
import { tmpdir } from 'node:os';
import type { Mount } from '../cri/types.js';
import { expandVars, makeEnvironmentVariables, type PodRuntimeFacts } from './env.js';
import { hostNodeInfo, type NodeInfo } from './node.js';
import { generateLinuxContainerResources, generateSandboxResources } from './resources.js';
import { kernelHostname, podDNSConfig, portMappings, readHostResolvConf, type ResolvConf } from './sandbox.js';
import { containerSecurityContext, sandboxSecurityContext } from './security.js';
import { containerConfigStopSignal } from './stop-signal.js';

export { expandVars };

/** The kubelet's --root-dir when none is given (seccomp profiles and pod directories live under it). */
export const DEFAULT_ROOT_DIR = join(tmpdir(), 'statelet', 'kubelet');

/** What generateContainerConfig needs beyond the spec; every field has a default. */
export interface ContainerConfigOptions {
  /** pidTargetId: an ephemeral container's target, resolved to that container's current ID. */
  pidTargetId?: string;
  /** The sandbox's IPs (status.podIP(s) for the downward API). */
  podIPs?: string[];
  node?: NodeInfo;
  /** The kubelet's --root-dir (seccomp Localhost profiles are under <root-dir>/seccomp). */
  rootDir?: string;
  /** Prepared by prepareContainerMounts (volumes set up on the host). */
  mounts?: Mount[];
}

export interface SandboxConfigOptions {
  /** The node's resolver configuration (default: /etc/resolv.conf, read on every call as the kubelet does). */
  resolvConf?: ResolvConf;
  node?: NodeInfo;
}

/** /var/log/pods/<namespace>_<name>_<uid>, under the configured root. */
export function podLogDirectory(root: string, pod: Pod): string {
  return join(root, `${pod.metadata.namespace ?? 'default'}_${pod.metadata.name}_${pod.metadata.uid ?? ''}`);
}

export function generatePodSandboxConfig(pod: Pod, attempt: number, logRoot: string, opts: SandboxConfigOptions = {}): PodSandboxConfig {
  const hostNetwork = pod.spec.hostNetwork === true;
  const node = opts.node ?? hostNodeInfo();
  const { securityContext, sysctls } = sandboxSecurityContext(pod);
  const { resources, overhead } = generateSandboxResources(pod, node);
  const config: PodSandboxConfig = {
    metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace ?? 'default', uid: pod.metadata.uid ?? '', attempt },
    // A host-network sandbox has no UTS namespace of its own: runtimes reject a hostname there.
    hostname: hostNetwork ? '' : kernelHostname(pod),
    logDirectory: podLogDirectory(logRoot, pod),
    dnsConfig: podDNSConfig(pod, opts.resolvConf ?? readHostResolvConf()),
    labels: newPodLabels(pod),
    annotations: newPodAnnotations(pod),
    linux: { cgroupParent: '', securityContext, sysctls, overhead, resources },
  };
  const ports = portMappings(pod);
  if (ports.length) config.portMappings = ports;
  return config;
}

/** The container's static env (value and $(VAR) only; valueFrom needs the pod's runtime facts, see makeEnvironmentVariables). */
export function containerEnvs(container: Container): KeyValue[] {
  return makeEnvironmentVariables({ apiVersion: 'v1', kind: 'Pod', metadata: { name: '' }, spec: { containers: [container] } }, container);
}

export function generateContainerConfig(
  pod: Pod,
  container: Container,
  restartCount: number,
  image: string,
  opts: ContainerConfigOptions = {},
): ContainerConfig {
  const facts: PodRuntimeFacts = { podIPs: opts.podIPs ?? [], node: opts.node ?? hostNodeInfo() };
  const envs = makeEnvironmentVariables(pod, container, facts);
  const vars = new Map(envs.map((kv) => [kv.key, kv.value]));
  const config: ContainerConfig = {
    metadata: { name: container.name, attempt: restartCount },
    image: { image },
    command: (container.command ?? []).map((s) => expandVars(s, vars)),
    args: (container.args ?? []).map((s) => expandVars(s, vars)),
    workingDir: container.workingDir ?? '',
    envs,
    mounts: opts.mounts ?? [],
    labels: newContainerLabels(pod, container),
    annotations: newContainerAnnotations(pod, container, restartCount),
    // <containerName>/<restartCount>.log, relative to the sandbox log directory.
    logPath: join(container.name, `${restartCount}.log`),
    stdin: container.stdin === true,
    stdinOnce: container.stdinOnce === true,
    tty: container.tty === true,
    linux: {
      resources: generateLinuxContainerResources(pod, container, facts.node),
      securityContext: {
        ...containerSecurityContext(pod, container, opts.rootDir ?? DEFAULT_ROOT_DIR),
        // The kubelet asks for a container PID namespace, so the app is PID 1 and the grace period applies;
        // an ephemeral container with a target joins that container's (TARGET).
        namespaceOptions: containerNamespaceOptions(pod, opts.pidTargetId),
      },
    },
  };
  // KEP-4960: lifecycle.stopSignal (validation lets it through only with ContainerStopSignals on).
  const stopSignal = containerConfigStopSignal(container);
  if (stopSignal) config.stopSignal = stopSignal;
  return config;
}
