// A container's environment as the kubelet builds it (pkg/kubelet/kubelet_pods.go
// makeEnvironmentVariables and podFieldSelectorRuntimeValue, release-1.34; the
// downward API's pkg/fieldpath): each variable in order, `value` with $(VAR)
// references to the variables before it expanded, `valueFrom.fieldRef` and
// `valueFrom.resourceFieldRef` resolved. A static pod has no service links (no
// Services) and no configMap or secret sources (rejected by validation).
import type { KeyValue } from '../cri/types.js';
import type { Container, Pod } from '../k8s/types.js';
import type { NodeInfo } from './node.js';
import { containerResourceValue } from './resources.js';

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

/** Go's %q for the downward API's label and annotation files (strconv.Quote). */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (cp === 7) out += '\\a';
    else if (cp === 8) out += '\\b';
    else if (cp === 12) out += '\\f';
    else if (cp === 11) out += '\\v';
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp >= 0x80 && cp <= 0x9f) out += `\\u00${cp.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + '"';
}

/** fieldpath.FormatMap: `key="value"` lines, sorted by key, no trailing newline. */
export function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${goQuote(m![k]!)}`)
    .join('\n');
}

/** What the downward API can read beyond the spec. */
export interface PodRuntimeFacts {
  podIPs: string[];
  node: NodeInfo;
}

/**
 * fieldpath.ExtractFieldPathAsString plus the kubelet's own paths
 * (podFieldSelectorRuntimeValue). Volumes may also read whole label and annotation maps.
 */
export function podFieldValue(pod: Pod, fieldPath: string, facts: PodRuntimeFacts): string {
  const sub = /^metadata\.(labels|annotations)\['([^']*)'\]$/.exec(fieldPath);
  if (sub) return (sub[1] === 'labels' ? pod.metadata.labels : pod.metadata.annotations)?.[sub[2]!] ?? '';
  switch (fieldPath) {
    case 'metadata.name':
      return pod.metadata.name;
    case 'metadata.namespace':
      return pod.metadata.namespace ?? 'default';
    case 'metadata.uid':
      return pod.metadata.uid ?? '';
    case 'metadata.labels':
      return formatMap(pod.metadata.labels);
    case 'metadata.annotations':
      return formatMap(pod.metadata.annotations);
    case 'spec.nodeName':
      // A static pod's nodeName is the node's (config/common.go applyDefaults).
      return pod.spec.nodeName || facts.node.nodeName;
    case 'spec.serviceAccountName':
      return pod.spec.serviceAccountName ?? '';
    case 'status.hostIP':
      return facts.node.hostIPs[0] ?? '';
    case 'status.hostIPs':
      return facts.node.hostIPs.join(',');
    case 'status.podIP':
      return facts.podIPs[0] ?? '';
    case 'status.podIPs':
      return facts.podIPs.join(',');
  }
  throw new Error(`unsupported fieldPath: ${fieldPath}`);
}

/** The container a resourceFieldRef names (its own when containerName is empty). */
export function resourceContainer(pod: Pod, self: Container, containerName: string | undefined): Container {
  if (!containerName || containerName === self.name) return self;
  const c = [...pod.spec.containers, ...(pod.spec.initContainers ?? [])].find((x) => x.name === containerName);
  if (!c) throw new Error(`container ${containerName} not found`);
  return c;
}

/**
 * makeEnvironmentVariables: the container's env, in declaration order (the kubelet
 * sends them in map order; statelet keeps the manifest's). With no facts (a caller
 * that only wants static values, like the exec probe's $(VAR) expansion), valueFrom
 * variables are left out.
 */
export function makeEnvironmentVariables(pod: Pod, container: Container, facts?: PodRuntimeFacts): KeyValue[] {
  const vars = new Map<string, string>();
  const order: string[] = [];
  for (const e of container.env ?? []) {
    let value = e.value ?? '';
    if (value !== '') value = expandVars(value, vars);
    else if (e.valueFrom) {
      if (!facts) continue;
      if (e.valueFrom.fieldRef) value = podFieldValue(pod, e.valueFrom.fieldRef.fieldPath, facts);
      else if (e.valueFrom.resourceFieldRef) {
        const ref = e.valueFrom.resourceFieldRef;
        value = containerResourceValue(pod, resourceContainer(pod, container, ref.containerName), ref.resource, ref.divisor, facts.node);
      }
    }
    if (!vars.has(e.name)) order.push(e.name);
    vars.set(e.name, value);
  }
  return order.map((key) => ({ key, value: vars.get(key)! }));
}
