// Pod sandbox and container configs as the kubelet generates them
// (generatePodSandboxConfig, generateContainerConfig).
import { join } from 'node:path';
import type { ContainerConfig, KeyValue, PodSandboxConfig } from '../cri/types.js';
import type { Container, Pod } from '../k8s/types.js';
import { newContainerAnnotations, newContainerLabels, newPodAnnotations, newPodLabels } from './labels.js';
import { containerNamespaceOptions } from './security-context.js';

/** /var/log/pods/<namespace>_<name>_<uid>, under the configured root. */
export function podLogDirectory(root: string, pod: Pod): string {
  return join(root, `${pod.metadata.namespace ?? 'default'}_${pod.metadata.name}_${pod.metadata.uid ?? ''}`);
}

export function generatePodSandboxConfig(pod: Pod, attempt: number, logRoot: string): PodSandboxConfig {
  const hostNetwork = pod.spec.hostNetwork === true;
  return {
    metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace ?? 'default', uid: pod.metadata.uid ?? '', attempt },
    // A host-network sandbox has no UTS namespace of its own: runtimes reject a hostname there.
    hostname: hostNetwork ? '' : pod.metadata.name,
    logDirectory: podLogDirectory(logRoot, pod),
    labels: newPodLabels(pod),
    annotations: newPodAnnotations(pod),
    linux: {
      cgroupParent: '',
      securityContext: { namespaceOptions: { network: hostNetwork ? 'NODE' : 'POD', pid: 'CONTAINER', ipc: 'POD' } },
    },
  };
}

/**
 * Kubernetes $(VAR) expansion (third_party/forked/golang/expansion): defined
 * variables are substituted, $$ escapes, undefined references stay as written.
 */
export function expandVars(input: string, vars: Map<string, string>): string {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const ch = input[i];
    if (ch !== '$' || i + 1 >= input.length) {
      out += ch;
      continue;
    }
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
      i++;
    } else if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close === -1) {
        out += input.slice(i);
        break;
      }
      const name = input.slice(i + 2, close);
      out += vars.has(name) ? vars.get(name)! : input.slice(i, close + 1);
      i = close;
    } else {
      out += ch;
    }
  }
  return out;
}

export function containerEnvs(container: Container): KeyValue[] {
  const vars = new Map<string, string>();
  const envs: KeyValue[] = [];
  for (const e of container.env ?? []) {
    const value = expandVars(e.value ?? '', vars);
    vars.set(e.name, value);
    envs.push({ key: e.name, value });
  }
  return envs;
}

export function generateContainerConfig(
  pod: Pod,
  container: Container,
  restartCount: number,
  image: string,
  /** pidTargetId: an ephemeral container's target, resolved to that container's current ID. */
  opts: { pidTargetId?: string } = {},
): ContainerConfig {
  const vars = new Map(containerEnvs(container).map((kv) => [kv.key, kv.value]));
  const hostNetwork = pod.spec.hostNetwork === true;
  return {
    metadata: { name: container.name, attempt: restartCount },
    image: { image },
    command: (container.command ?? []).map((s) => expandVars(s, vars)),
    args: (container.args ?? []).map((s) => expandVars(s, vars)),
    workingDir: container.workingDir ?? '',
    envs: containerEnvs(container),
    labels: newContainerLabels(pod, container),
    annotations: newContainerAnnotations(pod, container, restartCount),
    // <containerName>/<restartCount>.log, relative to the sandbox log directory.
    logPath: join(container.name, `${restartCount}.log`),
    linux: {
      // The kubelet asks for a container PID namespace, so the app is PID 1 and the grace period applies;
      // an ephemeral container with a target joins that container's (TARGET).
      securityContext: { namespaceOptions: containerNamespaceOptions(pod, opts.pidTargetId) },
    },
  };
}
