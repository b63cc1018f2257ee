// Static pods as the kubelet's file source makes them (pkg/kubelet/config/common.go
// applyDefaults): a manifest without metadata.uid gets one derived from the node
// name, the source (the file's path) and the pod's content, so the same file on the
// same node always yields the same pod, and any change to it yields a new one
// (the old pod is killed, the new one started). The name gets a `-<nodeName>`
// suffix, spec.nodeName is set, and the config annotations record the hash and
// the source.
import { nodeCrypto } from '../lazy-deps.js';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { loadPod, ManifestError, parseManifest, validatePod } from '../k8s/manifest.js';
import type { Pod } from '../k8s/types.js';
import type { FeatureGates } from '../../machines/features.js';

/** kubetypes.ConfigHashAnnotationKey / ConfigSourceAnnotationKey. */
export const CONFIG_HASH_ANNOTATION = 'kubernetes.io/config.hash';
export const CONFIG_SOURCE_ANNOTATION = 'kubernetes.io/config.source';
export const FILE_SOURCE = 'file';

/** The kubelet's node name: --hostname-override, else the hostname, lower-cased either way. */
export function nodeNameOf(override?: string): string {
  return (override?.trim() || hostname()).toLowerCase();
}

/** JSON with object keys sorted, so that equal pods hash equally whatever the key order. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const keys = Object.keys(v as object).filter((k) => (v as Record<string, unknown>)[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/**
 * applyDefaults' UID: md5 over "host:<nodeName>", "file:<source>" and the decoded,
 * defaulted pod (hash.DeepHashObject), hex-encoded. The pod is hashed as given, before
 * the name suffix and annotations are added, and without a uid.
 */
export function staticPodUid(pod: Pod, nodeName: string, source: string): string {
  const h = nodeCrypto().createHash('md5');
  h.update(`host:${nodeName}`);
  h.update(`file:${source}`);
  const { uid: _uid, ...metadata } = pod.metadata;
  h.update(canonicalJson({ ...pod, metadata }));
  return h.digest('hex');
}

export interface StaticPodOptions {
  nodeName: string;
  /** The source, as the UID hash sees it: the manifest's absolute path (or `stdin`). */
  source: string;
  /** `serve` names static pods `<name>-<nodeName>`; `statelet run` keeps the manifest's name. */
  suffixName: boolean;
  /** Kubelet feature gates validation follows (--feature-gates; default: the 1.36 defaults). */
  gates?: Readonly<FeatureGates>;
}

/**
 * Loads a manifest as a static pod: validated and defaulted (ManifestError otherwise),
 * with a derived UID unless metadata.uid is set, and (with suffixName) the node's
 * suffix on the name, spec.nodeName and the config annotations.
 */
export function loadStaticPod(text: string, opts: StaticPodOptions): Pod {
  // Field errors with their lines come from loadPod; the UID is derived from the same
  // decoded, defaulted pod, without the uid applyDefaults would make up.
  const loaded = loadPod(text, opts.source, { gates: opts.gates });
  const pod: Pod = structuredClone(loaded);
  if (parseUidless(text, opts.source)) pod.metadata.uid = staticPodUid({ ...loaded, metadata: { ...loaded.metadata, uid: undefined } }, opts.nodeName, opts.source);
  if (!opts.suffixName) return pod;
  pod.metadata.name = `${pod.metadata.name}-${opts.nodeName}`;
  pod.spec.nodeName = opts.nodeName;
  pod.metadata.annotations = { ...pod.metadata.annotations, [CONFIG_HASH_ANNOTATION]: pod.metadata.uid!, [CONFIG_SOURCE_ANNOTATION]: FILE_SOURCE };
  // The suffix can make a valid name too long, and the node name must itself be valid.
  const errors = validatePod(pod, { gates: opts.gates });
  if (errors.length) throw new ManifestError(errors, opts.source);
  return pod;
}

/** Whether the manifest leaves metadata.uid to be derived (true also when it does not parse). */
export function parseUidless(text: string, source?: string): boolean {
  try {
    return !parseManifest(text, source).metadata?.uid;
  } catch {
    return true;
  }
}

/** The source string a manifest path hashes as (absolute, as the kubelet's file source sees it). */
export function manifestSource(path: string): string {
  return path === '-' ? 'stdin' : resolve(path);
}
