// Pod manifests: parse (YAML or JSON) with strict field decoding, apply API
// defaults, validate as the API server does (pkg/apis/core/validation, release-1.34,
// plus the 1.35–1.36 fields behind the feature gates in machines/features.ts),
// plus the kubelet's static-pod rules (a static pod may not reference API objects).
// Pure apart from crypto.randomUUID for a missing metadata.uid (the API server's job
// in a cluster) and the node facts a nodeSelector is matched against.
import { isIP } from 'node:net';
import { arch as osArch, hostname as osHostname } from 'node:os';
import type { LineCounter, Node as YamlNode } from 'yaml';
// yaml is required by the first parse, not by importing the package entry
// (issue 15); parseManifest stays synchronous because yaml is CommonJS.
import { nodeCrypto, yaml } from '../lazy-deps.js';
import { decodeStrict } from './pod-schema.js';
import { Quantity } from './quantity.js';
import { DEFAULT_FEATURE_GATES, type FeatureGates } from '../../machines/features.js';
import { getPodQOS } from '../kuberuntime/qos.js';
import type {
  Container,
  ContainerPort,
  EnvVar,
  HTTPGetAction,
  IntOrString,
  LifecycleHandler,
  Pod,
  PodSpec,
  Probe,
  ProbeType,
  ResourceRequirements,
  SecurityContext,
  Volume,
  VolumeMount,
} from './types.js';

export interface FieldError {
  field: string;
  message: string;
  /** 1-based position of the field in the manifest's YAML/JSON text, when known. */
  line?: number;
  column?: number;
}

/** Formats one error as `<fieldPath>: <message>` (just the message when the path is empty). */
export function formatFieldError(e: FieldError): string {
  return e.field ? `${e.field}: ${e.message}` : e.message;
}

export class ManifestError extends Error {
  readonly errors: FieldError[];
  readonly source?: string;
  constructor(errors: FieldError[], source?: string) {
    super(errors.map(formatFieldError).join('\n'));
    this.name = 'ManifestError';
    this.errors = errors;
    this.source = source;
  }
}

// ---------------------------------------------------------------------------
// Parsing

type Json = Record<string, unknown>;
const isJson = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
/** Same test without narrowing, for values that already carry a (possibly wrong) declared type. */
function isObject<T>(v: T | null | undefined): v is T {
  return isJson(v);
}

/** `path.to[0].field` with map keys written as fields, so YAML positions and field paths meet. */
function canonicalPath(path: string): string {
  return path.replace(/\[([^\]]*)\]/g, (m, k: string) => (/^[0-9]+$/.test(k) ? m : `.${k}`));
}

/** Field path -> position of its key (or list item) in the text. */
function yamlPositions(node: unknown, lc: LineCounter): Map<string, { line: number; col: number }> {
  const { isMap, isPair, isScalar, isSeq } = yaml();
  const out = new Map<string, { line: number; col: number }>();
  const visit = (n: unknown, path: string): void => {
    if (isMap(n)) {
      for (const pair of n.items) {
        if (!isPair(pair)) continue;
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        const p = path ? `${path}.${key}` : key;
        const range = (pair.key as YamlNode | null)?.range;
        if (range) out.set(p, lc.linePos(range[0]));
        visit(pair.value, p);
      }
    } else if (isSeq(n)) {
      n.items.forEach((item, i) => {
        const p = `${path}[${i}]`;
        const range = (item as YamlNode | null)?.range;
        if (range) out.set(p, lc.linePos(range[0]));
        visit(item, p);
      });
    }
  };
  visit(node, '');
  return out;
}

function locate(errors: FieldError[], positions: Positions): FieldError[] {
  return errors.map((e) => {
    let p = canonicalPath(e.field);
    for (;;) {
      const pos = positions.get(p);
      if (pos) return { ...e, line: pos.line, column: pos.col };
      const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
      if (cut <= 0) return e;
      p = p.slice(0, cut);
    }
  });
}

/** The yaml library's message without its own position suffix and code excerpt. */
function yamlMessage(err: { message: string }): string {
  return err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '').trim();
}

/**
 * Parses one Pod from YAML or JSON text (JSON is YAML 1.2), with strict field
 * decoding: an unknown field, or a value of the wrong kind, is an error naming its
 * path (and its line and column). Call applyDefaults and validatePod (or use
 * loadPod) for the rest.
 */
export function parseManifest(text: string, sourceName?: string): Pod {
  return parseLocated(text, sourceName).pod;
}

type Positions = Map<string, { line: number; col: number }>;

function parseLocated(text: string, sourceName?: string): { pod: Pod; positions: Positions } {
  const { LineCounter, parseAllDocuments } = yaml();
  const lc = new LineCounter();
  let docs;
  try {
    docs = parseAllDocuments(text, { lineCounter: lc });
  } catch (err) {
    throw new ManifestError([{ field: '', message: `invalid YAML: ${(err as Error).message}` }], sourceName);
  }
  // parseAllDocuments returns an EmptyStream (array-like, length 0) for empty input.
  const list = Array.isArray(docs) ? docs : [];
  const nonEmpty = list.filter((d) => d.contents !== null);
  for (const d of list) {
    if (d.errors.length > 0) {
      const e = d.errors[0]!;
      const pos = e.linePos?.[0];
      const at = pos ? ` at line ${pos.line}, column ${pos.col}` : '';
      throw new ManifestError(
        [{ field: '', message: `invalid YAML${at}: ${yamlMessage(e)}`, ...(pos ? { line: pos.line, column: pos.col } : {}) }],
        sourceName,
      );
    }
  }
  if (nonEmpty.length === 0) throw new ManifestError([{ field: '', message: 'empty manifest' }], sourceName);
  if (nonEmpty.length > 1) {
    throw new ManifestError([{ field: '', message: `expected one Pod, found ${nonEmpty.length} documents` }], sourceName);
  }
  const doc = nonEmpty[0]!;
  const obj: unknown = doc.toJS();
  const errors: FieldError[] = [];
  if (!isJson(obj)) {
    throw new ManifestError([{ field: '', message: 'manifest must be an object' }], sourceName);
  }
  if (obj.kind !== 'Pod') {
    errors.push(
      obj.kind === undefined
        ? { field: 'kind', message: 'Required value' }
        : { field: 'kind', message: `Unsupported value: ${JSON.stringify(obj.kind)}: supported values: "Pod"` },
    );
  }
  if (obj.apiVersion !== 'v1') {
    errors.push(
      obj.apiVersion === undefined
        ? { field: 'apiVersion', message: 'Required value' }
        : { field: 'apiVersion', message: `Unsupported value: ${JSON.stringify(obj.apiVersion)}: supported values: "v1"` },
    );
  }
  if (!isJson(obj.metadata)) errors.push({ field: 'metadata', message: 'Required value' });
  if (!isJson(obj.spec)) errors.push({ field: 'spec', message: 'Required value' });
  else if (!Array.isArray(obj.spec.containers)) {
    errors.push({ field: 'spec.containers', message: 'Required value' });
  }
  if (errors.length === 0) errors.push(...decodeStrict(obj));
  const positions = yamlPositions(doc.contents, lc);
  if (errors.length) throw new ManifestError(locate(errors, positions), sourceName);
  return { pod: obj as unknown as Pod, positions };
}

// ---------------------------------------------------------------------------
// Defaulting (mirrors pkg/apis/core/v1/defaults.go for the supported subset)

export const DEFAULT_NAMESPACE = 'default';
export const DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS = 30;
export const DEFAULT_TERMINATION_MESSAGE_PATH = '/dev/termination-log';
export const PROBE_DEFAULTS = Object.freeze({
  initialDelaySeconds: 0,
  timeoutSeconds: 1,
  periodSeconds: 10,
  successThreshold: 1,
  failureThreshold: 3,
});

/**
 * Splits an image reference into its tag and digest (`repo[:tag][@digest]`); the tag is the
 * part after the last ':' that follows the last '/' (so a registry port is not a tag).
 */
export function parseImageRef(image: string): { repository: string; tag?: string; digest?: string } {
  let rest = image;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  let tag: string | undefined;
  if (colon > slash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  return { repository: rest, tag, digest };
}

/** API default pull policy: Always for `:latest` or no tag (unless pinned by digest), else IfNotPresent. */
export function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  const { tag, digest } = parseImageRef(image);
  const effectiveTag = tag ?? (digest ? undefined : 'latest');
  return effectiveTag === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultHttpGet(h: HTTPGetAction | undefined): void {
  if (!isObject(h)) return;
  // SetDefaults_HTTPGetAction: both lifecycle handlers and probes.
  if (!h.path) h.path = '/';
  if (!h.scheme) h.scheme = 'HTTP';
}

function defaultProbe(p: Probe | undefined): void {
  if (!isObject(p)) return;
  // Zero is the Go zero value ("unset") and is replaced, as SetDefaults_Probe does.
  if (!p.timeoutSeconds) p.timeoutSeconds = PROBE_DEFAULTS.timeoutSeconds;
  if (!p.periodSeconds) p.periodSeconds = PROBE_DEFAULTS.periodSeconds;
  if (!p.successThreshold) p.successThreshold = PROBE_DEFAULTS.successThreshold;
  if (!p.failureThreshold) p.failureThreshold = PROBE_DEFAULTS.failureThreshold;
  if (p.initialDelaySeconds === undefined) p.initialDelaySeconds = PROBE_DEFAULTS.initialDelaySeconds;
  defaultHttpGet(p.httpGet);
}

function defaultHandler(h: LifecycleHandler | undefined): void {
  if (!isObject(h)) return;
  defaultHttpGet(h.httpGet);
}

/** Quantities written as YAML/JSON numbers become the strings the API serialises them as. */
function normaliseQuantities(list: Record<string, unknown> | undefined): void {
  if (!isJson(list)) return;
  for (const [k, v] of Object.entries(list)) {
    if (typeof v === 'number') {
      const parsed = Quantity.tryParse(v);
      list[k] = typeof parsed === 'string' ? String(v) : parsed.toString();
    }
  }
}

/** SetDefaults_Pod: a resource with a limit and no request gets the limit as its request. */
function defaultResources(r: ResourceRequirements | undefined): void {
  if (!isObject(r)) return;
  normaliseQuantities(r.limits);
  normaliseQuantities(r.requests);
  if (isJson(r.limits) && Object.keys(r.limits).length > 0) {
    const requests = isJson(r.requests) ? r.requests : (r.requests = {});
    for (const [k, v] of Object.entries(r.limits)) if (requests[k] === undefined) requests[k] = v;
  }
}

function defaultContainer(c: Container, hostNetwork: boolean): void {
  if (!isObject(c)) return;
  defaultResources(c.resources);
  if (Array.isArray(c.env)) {
    for (const e of c.env) {
      // SetDefaults_ObjectFieldSelector
      if (isObject(e) && isObject(e.valueFrom?.fieldRef) && !e.valueFrom.fieldRef.apiVersion) e.valueFrom.fieldRef.apiVersion = 'v1';
    }
  }
  if (hostNetwork && Array.isArray(c.ports)) {
    // SetDefaults_Pod: on the host network a container port is also the host port.
    for (const p of c.ports) if (isObject(p) && !p.hostPort && isInt(p.containerPort)) p.hostPort = p.containerPort;
  }
  if (!c.imagePullPolicy && typeof c.image === 'string' && c.image) c.imagePullPolicy = defaultPullPolicy(c.image);
  if (!c.terminationMessagePath) c.terminationMessagePath = DEFAULT_TERMINATION_MESSAGE_PATH;
  if (!c.terminationMessagePolicy) c.terminationMessagePolicy = 'File';
  if (Array.isArray(c.ports)) {
    for (const p of c.ports) if (isObject(p) && !p.protocol) p.protocol = 'TCP';
  }
  if (isObject(c.lifecycle)) {
    defaultHandler(c.lifecycle.postStart);
    defaultHandler(c.lifecycle.preStop);
  }
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
}

/** Returns a defaulted deep copy (the input is not modified). */
export function applyDefaults(pod: Pod): Pod {
  const out = structuredClone(pod);
  if (!isObject(out.metadata)) (out as { metadata: unknown }).metadata = {};
  const m = out.metadata;
  if (!m.namespace) m.namespace = DEFAULT_NAMESPACE;
  if (!m.uid) m.uid = nodeCrypto().randomUUID();
  if (!isObject(out.spec)) (out as { spec: unknown }).spec = { containers: [] };
  const s = out.spec;
  if (s.terminationGracePeriodSeconds === undefined || s.terminationGracePeriodSeconds === null) {
    s.terminationGracePeriodSeconds = DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS;
  }
  if (!s.restartPolicy) s.restartPolicy = 'Always';
  // SetDefaults_PodSpec / SetDefaults_Pod
  if (!s.dnsPolicy) s.dnsPolicy = 'ClusterFirst';
  if (!isObject(s.securityContext)) s.securityContext = {};
  if (s.enableServiceLinks === undefined) s.enableServiceLinks = true;
  const hostNetwork = s.hostNetwork === true;
  for (const list of [s.containers, s.initContainers, s.ephemeralContainers]) {
    if (Array.isArray(list)) for (const c of list) defaultContainer(c, hostNetwork && list !== s.ephemeralContainers);
  }
  if (Array.isArray(s.volumes)) for (const v of s.volumes) defaultVolume(v);
  if (isObject(s.resources)) {
    defaultPodRequests(s);
  }
  if (isJson(s.overhead)) normaliseQuantities(s.overhead);
  return out;
}

const VOLUME_SOURCES = [
  'awsElasticBlockStore', 'azureDisk', 'azureFile', 'cephfs', 'cinder', 'configMap', 'csi', 'downwardAPI', 'emptyDir',
  'ephemeral', 'fc', 'flexVolume', 'flocker', 'gcePersistentDisk', 'gitRepo', 'glusterfs', 'hostPath', 'image', 'iscsi',
  'nfs', 'persistentVolumeClaim', 'photonPersistentDisk', 'portworxVolume', 'projected', 'quobyte', 'rbd', 'scaleIO',
  'secret', 'storageos', 'vsphereVolume',
] as const;

const DEFAULT_FILE_MODE = 0o644;

function defaultVolume(v: Volume): void {
  if (!isObject(v)) return;
  // SetDefaults_Volume: no source at all is an emptyDir.
  if (!VOLUME_SOURCES.some((k) => Reflect.get(v, k) !== undefined)) v.emptyDir = {};
  if (isObject(v.emptyDir) && typeof v.emptyDir.sizeLimit === 'number') v.emptyDir.sizeLimit = String(v.emptyDir.sizeLimit);
  if (isObject(v.hostPath) && v.hostPath.type === undefined) v.hostPath.type = '';
  const defaultItems = (items: unknown): void => {
    if (!Array.isArray(items)) return;
    for (const it of items) {
      if (isJson(it) && isJson(it.fieldRef) && !it.fieldRef.apiVersion) it.fieldRef.apiVersion = 'v1';
    }
  };
  if (isObject(v.downwardAPI)) {
    if (v.downwardAPI.defaultMode === undefined) v.downwardAPI.defaultMode = DEFAULT_FILE_MODE;
    defaultItems(v.downwardAPI.items);
  }
  if (isObject(v.projected)) {
    if (v.projected.defaultMode === undefined) v.projected.defaultMode = DEFAULT_FILE_MODE;
    for (const src of Array.isArray(v.projected.sources) ? v.projected.sources : []) {
      if (isObject(src) && isObject(src.downwardAPI)) defaultItems(src.downwardAPI.items);
    }
  }
}

const SUPPORTED_POD_LEVEL_RESOURCES = ['cpu', 'memory'];
const isPodLevelResource = (name: string): boolean => SUPPORTED_POD_LEVEL_RESOURCES.includes(name) || name.startsWith('hugepages-');

/**
 * The effective request of every container for one resource
 * (resourcehelper.AggregateContainerRequests): regular containers and sidecars run
 * together; an init container runs with the sidecars started before it.
 */
export function aggregateContainerRequest(spec: PodSpec, name: string): Quantity | undefined {
  const req = (c: Container): Quantity | undefined => {
    const v = c?.resources?.requests?.[name];
    if (v === undefined) return undefined;
    const parsed = Quantity.tryParse(v);
    return typeof parsed === 'string' ? undefined : parsed;
  };
  let seen = false;
  let sidecars = Quantity.zero();
  let initMax = Quantity.zero();
  for (const c of Array.isArray(spec.initContainers) ? spec.initContainers : []) {
    const r = req(c);
    if (r) seen = true;
    if (c.restartPolicy === 'Always') {
      if (r) sidecars = sidecars.add(r);
    } else if (r) {
      const withSidecars = r.add(sidecars);
      if (withSidecars.cmp(initMax) > 0) initMax = withSidecars;
    }
  }
  let sum = sidecars;
  for (const c of Array.isArray(spec.containers) ? spec.containers : []) {
    const r = req(c);
    if (r) {
      seen = true;
      sum = sum.add(r);
    }
  }
  if (!seen) return undefined;
  return sum.cmp(initMax) >= 0 ? sum : initMax;
}

/** defaults.go defaultPodRequests: pod-level requests from the containers', else from the pod-level limits. */
function defaultPodRequests(s: PodSpec): void {
  const r = s.resources!;
  normaliseQuantities(r.limits);
  normaliseQuantities(r.requests);
  if (!isJson(r.limits) || Object.keys(r.limits).length === 0) return;
  const requests: Record<string, string> = isJson(r.requests) ? r.requests : {};
  for (const name of ['cpu', 'memory']) {
    if (requests[name] !== undefined) continue;
    const aggr = aggregateContainerRequest(s, name);
    if (aggr) requests[name] = aggr.toString();
  }
  for (const [k, v] of Object.entries(r.limits)) if (requests[k] === undefined && isPodLevelResource(k)) requests[k] = v;
  if (Object.keys(requests).length > 0) r.requests = requests;
}

// ---------------------------------------------------------------------------
// Validation (a subset of pkg/apis/core/validation, messages in its style)

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const q = (v: unknown): string => JSON.stringify(v);

function dns1123LabelErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push('must be no more than 63 characters');
  if (!DNS1123_LABEL.test(value)) {
    errs.push(
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
    );
  }
  return errs;
}

function dns1123SubdomainErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 253) errs.push('must be no more than 253 characters');
  if (!DNS1123_SUBDOMAIN.test(value)) {
    errs.push(
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    );
  }
  return errs;
}

/** IANA_SVC_NAME rules (validation.IsValidPortName). */
export function portNameErrors(name: string): string[] {
  const errs: string[] = [];
  if (name.length > 15) errs.push('must be no more than 15 characters');
  if (!/^[-a-z0-9]+$/.test(name)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(name)) errs.push('must contain at least one letter (a-z)');
  if (name.includes('--')) errs.push('must not contain consecutive hyphens');
  if (name.startsWith('-') || name.endsWith('-')) errs.push('must not begin or end with a hyphen');
  return errs;
}

const PORT_RANGE_MSG = 'must be between 1 and 65535, inclusive';
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const validPortNum = (v: unknown): boolean => isInt(v) && v >= 1 && v <= 65535;

class Collector {
  readonly errors: FieldError[] = [];
  add(field: string, message: string): void {
    this.errors.push({ field, message });
  }
  required(field: string): void {
    this.add(field, 'Required value');
  }
  invalid(field: string, value: unknown, detail: string): void {
    this.add(field, `Invalid value: ${q(value)}: ${detail}`);
  }
  unsupported(field: string, value: unknown, supported: readonly string[]): void {
    this.add(field, `Unsupported value: ${q(value)}: supported values: ${supported.map((s) => q(s)).join(', ')}`);
  }
  forbidden(field: string, detail: string): void {
    this.add(field, `Forbidden: ${detail}`);
  }
}

const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'] as const;
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'] as const;
const PROTOCOLS = ['TCP', 'UDP', 'SCTP'] as const;
const SCHEMES = ['HTTP', 'HTTPS'] as const;

type Role = 'container' | 'init' | 'sidecar' | 'ephemeral';

function validatePortRef(col: Collector, field: string, port: IntOrString | undefined, c: Container): void {
  if (port === undefined || port === null || port === '') {
    col.required(field);
    return;
  }
  if (typeof port === 'number') {
    if (!validPortNum(port)) col.invalid(field, port, PORT_RANGE_MSG);
    return;
  }
  if (typeof port !== 'string') {
    col.invalid(field, port, 'must be an integer or a port name');
    return;
  }
  const errs = portNameErrors(port);
  if (errs.length) {
    for (const e of errs) col.invalid(field, port, e);
    return;
  }
  // The API server checks only the name's syntax (ValidatePortNumOrName); a name the container
  // does not declare is the prober's or the hook runner's error at run time.
  void c;
}

function validateHttpGet(col: Collector, field: string, h: HTTPGetAction, c: Container): void {
  validatePortRef(col, `${field}.port`, h.port, c);
  if (h.scheme !== undefined && !SCHEMES.includes(h.scheme)) col.unsupported(`${field}.scheme`, h.scheme, SCHEMES);
  if (h.httpHeaders !== undefined) {
    if (!Array.isArray(h.httpHeaders)) col.invalid(`${field}.httpHeaders`, h.httpHeaders, 'must be a list');
    else
      h.httpHeaders.forEach((hd, i) => {
        if (!isObject(hd) || typeof hd.name !== 'string' || !hd.name) col.required(`${field}.httpHeaders[${i}].name`);
      });
  }
}

function validateExec(col: Collector, field: string, exec: unknown): void {
  if (!isJson(exec) || !Array.isArray(exec.command) || exec.command.length === 0) {
    col.required(`${field}.command`);
    return;
  }
  exec.command.forEach((arg, i) => {
    if (typeof arg !== 'string') col.invalid(`${field}.command[${i}]`, arg, 'must be a string');
  });
}

function validateHandler(col: Collector, field: string, h: LifecycleHandler, c: Container, grace: number | undefined): void {
  if (!isObject(h)) {
    col.add(field, 'must specify exactly one handler');
    return;
  }
  const set = (['exec', 'httpGet', 'sleep', 'tcpSocket'] as const).filter((k) => h[k] !== undefined && h[k] !== null);
  if (set.length !== 1) {
    col.add(field, 'must specify exactly one handler');
    return;
  }
  if (h.exec) validateExec(col, `${field}.exec`, h.exec);
  if (h.httpGet) validateHttpGet(col, `${field}.httpGet`, h.httpGet, c);
  if (h.sleep) {
    const s = h.sleep.seconds;
    if (!isInt(s)) col.required(`${field}.sleep.seconds`);
    else if (s < 0 || (isInt(grace) && s > grace)) {
      col.invalid(
        `${field}.sleep.seconds`,
        s,
        `must be non-negative and less than terminationGracePeriodSeconds (${isInt(grace) ? grace : 0})`,
      );
    }
  }
  // tcpSocket: deprecated and accepted without validation; it fails when run (invalid handler).
}

function validateProbe(col: Collector, field: string, p: Probe, c: Container, type: ProbeType): void {
  if (!isObject(p)) {
    col.add(field, 'must specify exactly one handler');
    return;
  }
  const set = (['exec', 'httpGet', 'tcpSocket', 'grpc'] as const).filter((k) => p[k] !== undefined && p[k] !== null);
  if (set.length !== 1) col.add(field, 'must specify exactly one handler');
  if (p.exec) validateExec(col, `${field}.exec`, p.exec);
  if (p.httpGet) validateHttpGet(col, `${field}.httpGet`, p.httpGet, c);
  if (p.tcpSocket) validatePortRef(col, `${field}.tcpSocket.port`, p.tcpSocket.port, c);
  if (p.grpc) {
    if (!validPortNum(p.grpc.port)) col.invalid(`${field}.grpc.port`, p.grpc.port, PORT_RANGE_MSG);
  }
  const atLeast = (k: keyof Probe, min: number): void => {
    const v = p[k];
    if (v === undefined) return;
    if (!isInt(v)) col.invalid(`${field}.${k}`, v, 'must be an integer');
    else if (v < min) col.invalid(`${field}.${k}`, v, `must be greater than or equal to ${min}`);
  };
  atLeast('initialDelaySeconds', 0);
  atLeast('timeoutSeconds', 1);
  atLeast('periodSeconds', 1);
  atLeast('successThreshold', 1);
  atLeast('failureThreshold', 1);
  if ((type === 'liveness' || type === 'startup') && p.successThreshold !== undefined && p.successThreshold !== 1) {
    col.invalid(`${field}.successThreshold`, p.successThreshold, 'must be 1');
  }
  if (p.terminationGracePeriodSeconds !== undefined && p.terminationGracePeriodSeconds !== null) {
    if (type === 'readiness') col.forbidden(`${field}.terminationGracePeriodSeconds`, 'must not be set for readinessProbes');
    else if (!isInt(p.terminationGracePeriodSeconds) || p.terminationGracePeriodSeconds <= 0) {
      col.invalid(`${field}.terminationGracePeriodSeconds`, p.terminationGracePeriodSeconds, 'must be greater than 0');
    }
  }
}

function validatePorts(col: Collector, field: string, ports: ContainerPort[]): void {
  const names = new Set<string>();
  ports.forEach((p, i) => {
    const f = `${field}[${i}]`;
    if (!isObject(p)) {
      col.invalid(f, p, 'must be an object');
      return;
    }
    if (p.containerPort === undefined) col.required(`${f}.containerPort`);
    else if (!validPortNum(p.containerPort)) col.invalid(`${f}.containerPort`, p.containerPort, PORT_RANGE_MSG);
    if (p.hostPort !== undefined && p.hostPort !== 0 && !validPortNum(p.hostPort)) {
      col.invalid(`${f}.hostPort`, p.hostPort, PORT_RANGE_MSG);
    }
    if (p.protocol !== undefined && !PROTOCOLS.includes(p.protocol)) col.unsupported(`${f}.protocol`, p.protocol, PROTOCOLS);
    if (p.name !== undefined) {
      if (typeof p.name !== 'string') col.invalid(`${f}.name`, p.name, 'must be a string');
      else {
        for (const e of portNameErrors(p.name)) col.invalid(`${f}.name`, p.name, e);
        if (names.has(p.name)) col.add(`${f}.name`, `Duplicate value: ${q(p.name)}`);
        names.add(p.name);
      }
    }
  });
}

// ---------------------------------------------------------------------------
// Validation of the fields a static pod can use (volumes, env sources,
// resources, security contexts, DNS, ...), and the kubelet's static-pod rules.

/** What the container validators need to know about the rest of the pod. */
interface SpecContext {
  spec: PodSpec;
  /** The feature gates the validation follows (the API server's PodValidationOptions). */
  gates: Readonly<FeatureGates>;
  /** Volume name -> the volume (valid names only). */
  volumes: Map<string, Volume>;
  /** Names of regular and init containers (for resourceFieldRef.containerName). */
  containerNames: Set<string>;
}

/** The message of a field that needs an API server (kubelet: PreventStaticPodAPIReferences, beta in 1.34). */
const staticPodRef = (what: string): string => `static pods may not reference API objects: ${what}`;

const MAX_INT32 = 2147483647;
const ENV_NAME_MSG = "a valid environment variable name must consist only of printable ASCII characters other than '='";
const isValidEnvName = (n: string): boolean => n.length > 0 && /^[\x20-\x7e]+$/.test(n) && !n.includes('=');

/** validation.IsQualifiedName (label and annotation keys). */
function qualifiedNameErrors(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split('/');
  let name = value;
  if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else for (const e of dns1123SubdomainErrors(prefix)) errs.push(`prefix part ${e}`);
  } else if (parts.length > 2) {
    errs.push("a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
    return errs;
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (name.length > 63) errs.push('name part must be no more than 63 characters');
  if (name.length > 0 && !/^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/.test(name)) {
    errs.push("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')");
  }
  return errs;
}

function labelValueErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push('must be no more than 63 characters');
  if (value !== '' && !/^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/.test(value)) {
    errs.push("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
  }
  return errs;
}

/** validateLocalDescendingPath / validatePathNoBacksteps: a relative path that stays inside. */
function relativePathErrors(p: string): string[] {
  const errs: string[] = [];
  if (p.startsWith('/')) errs.push('must be a relative path');
  if (p.split('/').includes('..')) errs.push("must not contain '..'");
  return errs;
}

function validateQuantity(col: Collector, field: string, v: unknown): Quantity | undefined {
  const parsed = Quantity.tryParse(v);
  if (typeof parsed === 'string') {
    col.invalid(field, v, parsed);
    return undefined;
  }
  if (parsed.sign() < 0) {
    col.invalid(field, v, 'must be greater than or equal to 0');
    return undefined;
  }
  return parsed;
}

const STANDARD_CONTAINER_RESOURCES = ['cpu', 'memory', 'ephemeral-storage'];
const isHugePages = (name: string): boolean => name.startsWith('hugepages-');

/**
 * ValidateResourceRequirements (container or pod level): resource names, the
 * quantity grammar, non-negative values, and every request at most its limit.
 */
function validateResources(col: Collector, field: string, r: ResourceRequirements, level: 'container' | 'pod'): void {
  if (!isObject(r)) return;
  const limits = new Map<string, Quantity>();
  const checkName = (f: string, name: string): boolean => {
    if (level === 'pod') {
      if (!isPodLevelResource(name)) {
        col.unsupported(f, name, ['cpu', 'memory', 'hugepages-<size>']);
        return false;
      }
      return true;
    }
    if (STANDARD_CONTAINER_RESOURCES.includes(name) || isHugePages(name)) return true;
    if (name.includes('/') && qualifiedNameErrors(name).length === 0) {
      // An extended resource comes from a device plugin through the node's allocatable.
      col.forbidden(f, `extended resource ${q(name)} is not supported: statelet has no device plugins`);
      return false;
    }
    col.invalid(f, name, 'must be a standard resource type or fully qualified');
    return false;
  };
  for (const [name, v] of Object.entries(isJson(r.limits) ? r.limits : {})) {
    const f = `${field}.limits[${name}]`;
    if (!checkName(f, name)) continue;
    const quantity = validateQuantity(col, f, v);
    if (quantity) limits.set(name, quantity);
  }
  for (const [name, v] of Object.entries(isJson(r.requests) ? r.requests : {})) {
    const f = `${field}.requests[${name}]`;
    if (!checkName(f, name)) continue;
    const quantity = validateQuantity(col, f, v);
    if (!quantity) continue;
    const limit = limits.get(name);
    if (limit && quantity.cmp(limit) > 0) col.invalid(f, quantity.toString(), `must be less than or equal to ${name} limit of ${limit.toString()}`);
    if (isHugePages(name) && (!limit || limit.cmp(quantity) !== 0)) col.invalid(f, quantity.toString(), `must be equal to ${name} limit of ${limit?.toString() ?? '0'}`);
  }
  if (level === 'container') {
    // Hugepages need a cpu or memory request (validateResourceRequirements).
    const hasHuge = [...limits.keys()].some(isHugePages);
    if (hasHuge && !(isJson(r.requests) && (r.requests['cpu'] !== undefined || r.requests['memory'] !== undefined))) {
      col.forbidden(`${field}`, 'HugePages require cpu or memory');
    }
  }
  if (r.claims !== undefined) col.forbidden(`${field}.claims`, staticPodRef('resourceclaims'));
}

const ENV_FIELD_PATHS = [
  'metadata.name', 'metadata.namespace', 'metadata.uid', 'spec.nodeName', 'spec.serviceAccountName',
  'status.hostIP', 'status.hostIPs', 'status.podIP', 'status.podIPs',
];
const VOLUME_FIELD_PATHS = ['metadata.name', 'metadata.namespace', 'metadata.labels', 'metadata.annotations', 'metadata.uid'];
const RESOURCE_FIELD_NAMES = ['limits.cpu', 'limits.memory', 'limits.ephemeral-storage', 'requests.cpu', 'requests.memory', 'requests.ephemeral-storage'];
const SUBSCRIPT_PATH = /^metadata\.(labels|annotations)\['([^']*)'\]$/;

/** validateObjectFieldSelector: apiVersion v1 and a path the downward API can read. */
function validateFieldRef(col: Collector, field: string, ref: { apiVersion?: string; fieldPath?: string }, allowed: string[]): void {
  if (ref.apiVersion !== undefined && ref.apiVersion !== 'v1') col.unsupported(`${field}.apiVersion`, ref.apiVersion, ['v1']);
  if (!ref.fieldPath) {
    col.required(`${field}.fieldPath`);
    return;
  }
  const sub = SUBSCRIPT_PATH.exec(ref.fieldPath);
  if (sub) {
    const errs = qualifiedNameErrors(sub[2]!);
    for (const e of errs) col.invalid(`${field}.fieldPath`, ref.fieldPath, e);
    return;
  }
  if (!allowed.includes(ref.fieldPath)) col.unsupported(`${field}.fieldPath`, ref.fieldPath, allowed);
}

/** validateContainerResourceFieldSelector (+ the divisor rules of validateContainerResourceDivisor). */
function validateResourceFieldRef(
  col: Collector,
  field: string,
  ref: { containerName?: string; resource?: string; divisor?: string | number },
  ctx: SpecContext,
  containerRequired: boolean,
): void {
  if (containerRequired && !ref.containerName) col.required(`${field}.containerName`);
  else if (ref.containerName && !ctx.containerNames.has(ref.containerName)) {
    col.add(`${field}.containerName`, `Not found: ${q(ref.containerName)}`);
  }
  if (!ref.resource) col.required(`${field}.resource`);
  else if (!RESOURCE_FIELD_NAMES.includes(ref.resource) && !/^(limits|requests)\.hugepages-/.test(ref.resource)) {
    col.unsupported(`${field}.resource`, ref.resource, RESOURCE_FIELD_NAMES);
  }
  if (ref.divisor !== undefined && ref.divisor !== null) {
    const d = validateQuantity(col, `${field}.divisor`, ref.divisor);
    if (d && ref.resource) {
      const cpu = ref.resource.endsWith('.cpu');
      const ok = cpu ? ['1m', '1'].some((x) => Quantity.parse(x).cmp(d) === 0) : d.cmp(Quantity.parse('1')) >= 0 && ['1', '1k', '1M', '1G', '1T', '1P', '1E', '1Ki', '1Mi', '1Gi', '1Ti', '1Pi', '1Ei'].some((x) => Quantity.parse(x).cmp(d) === 0);
      if (!ok) col.invalid(`${field}.divisor`, ref.divisor, cpu ? 'only divisor\'s values 1m and 1 are supported with the cpu resource' : "only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with the memory resource");
    }
  }
}

function validateEnv(col: Collector, field: string, env: EnvVar[], ctx: SpecContext): void {
  env.forEach((e, i) => {
    const f = `${field}[${i}]`;
    if (!isObject(e) || typeof e.name !== 'string' || !e.name) {
      col.required(`${f}.name`);
      return;
    }
    if (!isValidEnvName(e.name)) col.invalid(`${f}.name`, e.name, ENV_NAME_MSG);
    const vf = e.valueFrom;
    if (vf === undefined) return;
    if (e.value) col.invalid(`${f}.valueFrom`, '', 'may not be specified when `value` is not empty');
    const set = (['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef', 'fileKeyRef'] as const).filter((k) => vf[k] !== undefined);
    if (set.length === 0) {
      col.invalid(`${f}.valueFrom`, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`');
      return;
    }
    if (set.length > 1) {
      col.invalid(`${f}.valueFrom`, '', 'may not have more than one field specified at a time');
      return;
    }
    if (vf.fieldRef) validateFieldRef(col, `${f}.valueFrom.fieldRef`, vf.fieldRef, ENV_FIELD_PATHS);
    if (vf.resourceFieldRef) validateResourceFieldRef(col, `${f}.valueFrom.resourceFieldRef`, vf.resourceFieldRef, ctx, false);
    if (vf.configMapKeyRef) col.forbidden(`${f}.valueFrom.configMapKeyRef`, staticPodRef('configmaps'));
    if (vf.secretKeyRef) col.forbidden(`${f}.valueFrom.secretKeyRef`, staticPodRef('secrets'));
    if (vf.fileKeyRef) col.forbidden(`${f}.valueFrom.fileKeyRef`, 'the EnvFiles feature (1.34 alpha) is not enabled');
  });
}

const PROPAGATION_MODES = ['None', 'HostToContainer', 'Bidirectional'] as const;
const RRO_MODES = ['Disabled', 'IfPossible', 'Enabled'] as const;

function validateVolumeMounts(col: Collector, field: string, mounts: VolumeMount[], c: Container, role: Role, ctx: SpecContext): void {
  const paths = new Set<string>();
  const privileged = c.securityContext?.privileged === true;
  mounts.forEach((m, i) => {
    const f = `${field}[${i}]`;
    if (!isObject(m)) {
      col.invalid(f, m, 'must be an object');
      return;
    }
    if (!m.name) col.required(`${f}.name`);
    else if (!ctx.volumes.has(m.name)) col.add(`${f}.name`, `Not found: ${q(m.name)}`);
    if (!m.mountPath) col.required(`${f}.mountPath`);
    else {
      if (paths.has(m.mountPath)) col.invalid(`${f}.mountPath`, m.mountPath, 'must be unique');
      paths.add(m.mountPath);
    }
    if (m.subPath && m.subPathExpr) col.invalid(`${f}.subPathExpr`, m.subPathExpr, 'subPathExpr and subPath are mutually exclusive');
    if (m.subPath) for (const e of relativePathErrors(m.subPath)) col.invalid(`${f}.subPath`, m.subPath, e);
    if (m.subPathExpr && m.subPathExpr.startsWith('/')) col.invalid(`${f}.subPathExpr`, m.subPathExpr, 'must be a relative path');
    if (role === 'ephemeral' && (m.subPath || m.subPathExpr)) col.forbidden(`${f}.${m.subPath ? 'subPath' : 'subPathExpr'}`, 'cannot be set for an Ephemeral Container');
    if (m.mountPropagation !== undefined) {
      if (!PROPAGATION_MODES.includes(m.mountPropagation)) col.unsupported(`${f}.mountPropagation`, m.mountPropagation, PROPAGATION_MODES);
      else if (m.mountPropagation === 'Bidirectional' && !privileged) {
        col.forbidden(`${f}.mountPropagation`, 'Bidirectional mount propagation is available only to privileged containers');
      }
    }
    if (m.recursiveReadOnly !== undefined) {
      if (!RRO_MODES.includes(m.recursiveReadOnly as never)) col.unsupported(`${f}.recursiveReadOnly`, m.recursiveReadOnly, RRO_MODES);
      else if (m.recursiveReadOnly !== 'Disabled' && !m.readOnly) col.forbidden(`${f}.recursiveReadOnly`, 'may only be specified when readOnly is true');
      else if (m.recursiveReadOnly === 'Enabled') {
        // The runtime must report RRO support in its handler features (containerd 2.0+); IfPossible falls back as the kubelet does.
        col.forbidden(`${f}.recursiveReadOnly`, 'Enabled needs a runtime with recursive read-only mounts (containerd 2.0); use IfPossible');
      }
    }
  });
}

const CAP_SYS_ADMIN = /^(CAP_)?SYS_ADMIN$/;

function validateProfile(col: Collector, field: string, p: { type?: string; localhostProfile?: string } | undefined, kind: 'seccomp' | 'apparmor'): void {
  if (!isObject(p)) return;
  const types = ['RuntimeDefault', 'Unconfined', 'Localhost'];
  if (!p.type) col.required(`${field}.type`);
  else if (!types.includes(p.type)) col.unsupported(`${field}.type`, p.type, types);
  else if (p.type === 'Localhost' && !p.localhostProfile) col.required(`${field}.localhostProfile`);
  else if (p.type !== 'Localhost' && p.localhostProfile) col.invalid(`${field}.localhostProfile`, p.localhostProfile, `can only be set when ${kind} type is Localhost`);
  if (p.type === 'Localhost' && p.localhostProfile && kind === 'seccomp') {
    for (const e of relativePathErrors(p.localhostProfile)) col.invalid(`${field}.localhostProfile`, p.localhostProfile, e);
  }
}

function validateIds(col: Collector, field: string, sc: { runAsUser?: number; runAsGroup?: number }): void {
  for (const k of ['runAsUser', 'runAsGroup'] as const) {
    const v = sc[k];
    if (v !== undefined && (!isInt(v) || v < 0 || v > MAX_INT32)) col.invalid(`${field}.${k}`, v, `must be between 0 and ${MAX_INT32}, inclusive`);
  }
}

/** ValidateSecurityContext (container level). */
function validateSecurityContext(col: Collector, field: string, sc: SecurityContext, role: Role): void {
  if (!isObject(sc)) return;
  validateIds(col, field, sc);
  if (sc.privileged === true && sc.allowPrivilegeEscalation === false) {
    col.invalid(field, '', 'cannot set `allowPrivilegeEscalation` to false and `privileged` to true');
  }
  if (sc.allowPrivilegeEscalation === false && (sc.capabilities?.add ?? []).some((c) => CAP_SYS_ADMIN.test(c))) {
    col.invalid(field, '', 'cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN');
  }
  if (sc.procMount !== undefined) {
    if (!['Default', 'Unmasked'].includes(sc.procMount)) col.unsupported(`${field}.procMount`, sc.procMount, ['Default', 'Unmasked']);
    else if (sc.procMount === 'Unmasked') col.forbidden(`${field}.procMount`, '`spec.hostUsers` must be false to use `Unmasked` (user namespaces are not supported by statelet)');
  }
  validateProfile(col, `${field}.seccompProfile`, sc.seccompProfile, 'seccomp');
  validateProfile(col, `${field}.appArmorProfile`, sc.appArmorProfile, 'apparmor');
  if (sc.windowsOptions !== undefined) col.forbidden(`${field}.windowsOptions`, 'statelet runs Linux containers only');
  if (role === 'ephemeral' && sc.privileged === undefined) return;
}

/** The sysctls a kubelet allows without --allowed-unsafe-sysctls (pkg/kubelet/sysctl/safe_sysctls.go, 1.34). */
export const SAFE_SYSCTLS = [
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
  'net.ipv4.tcp_rmem',
  'net.ipv4.tcp_wmem',
];
const SYSCTL_RE = /^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$/;

function validatePodSecurityContext(col: Collector, spec: PodSpec): void {
  const field = 'spec.securityContext';
  const sc = spec.securityContext;
  if (!isObject(sc)) return;
  validateIds(col, field, sc);
  (sc.supplementalGroups ?? []).forEach((g, i) => {
    if (!isInt(g) || g < 0 || g > MAX_INT32) col.invalid(`${field}.supplementalGroups[${i}]`, g, `must be between 0 and ${MAX_INT32}, inclusive`);
  });
  if (sc.fsGroup !== undefined && (!isInt(sc.fsGroup) || sc.fsGroup < 0 || sc.fsGroup > MAX_INT32)) {
    col.invalid(`${field}.fsGroup`, sc.fsGroup, `must be between 0 and ${MAX_INT32}, inclusive`);
  }
  if (sc.fsGroupChangePolicy !== undefined && !['OnRootMismatch', 'Always'].includes(sc.fsGroupChangePolicy)) {
    col.unsupported(`${field}.fsGroupChangePolicy`, sc.fsGroupChangePolicy, ['OnRootMismatch', 'Always']);
  }
  if (sc.supplementalGroupsPolicy !== undefined) {
    if (!['Merge', 'Strict'].includes(sc.supplementalGroupsPolicy)) col.unsupported(`${field}.supplementalGroupsPolicy`, sc.supplementalGroupsPolicy, ['Merge', 'Strict']);
    else if (sc.supplementalGroupsPolicy === 'Strict') col.forbidden(`${field}.supplementalGroupsPolicy`, 'Strict needs a runtime that reports supplemental_groups_policy support (containerd 2.0); only Merge is supported');
  }
  if (sc.seLinuxChangePolicy !== undefined && !['MountOption', 'Recursive'].includes(sc.seLinuxChangePolicy)) {
    col.unsupported(`${field}.seLinuxChangePolicy`, sc.seLinuxChangePolicy, ['MountOption', 'Recursive']);
  }
  validateProfile(col, `${field}.seccompProfile`, sc.seccompProfile, 'seccomp');
  validateProfile(col, `${field}.appArmorProfile`, sc.appArmorProfile, 'apparmor');
  if (sc.windowsOptions !== undefined) col.forbidden(`${field}.windowsOptions`, 'statelet runs Linux containers only');
  const names = new Set<string>();
  (sc.sysctls ?? []).forEach((s, i) => {
    const f = `${field}.sysctls[${i}]`;
    if (!isObject(s) || !s.name) {
      col.required(`${f}.name`);
      return;
    }
    const normalized = s.name.replace(/\//g, '.');
    if (s.name.length > 253 || !SYSCTL_RE.test(s.name)) {
      col.invalid(`${f}.name`, s.name, `must have at most 253 characters and match regex ${SYSCTL_RE.source}`);
      return;
    }
    if (names.has(normalized)) col.add(`${f}.name`, `Duplicate value: ${q(s.name)}`);
    names.add(normalized);
    if (spec.hostNetwork === true && normalized.startsWith('net.')) col.invalid(`${f}.name`, s.name, "may not be specified when 'hostNetwork' is true");
    else if (spec.hostIPC === true && (normalized.startsWith('kernel.shm') || normalized.startsWith('kernel.msg') || normalized === 'kernel.sem' || normalized.startsWith('fs.mqueue.'))) {
      col.invalid(`${f}.name`, s.name, "may not be specified when 'hostIPC' is true");
    } else if (!SAFE_SYSCTLS.includes(normalized)) {
      // The kubelet's sysctl admission (no --allowed-unsafe-sysctls): the pod fails with SysctlForbidden.
      col.forbidden(`${f}.name`, `forbidden sysctl: ${q(s.name)} not allowlisted`);
    }
  });
}

const UNSUPPORTED_VOLUME_SOURCES: Partial<Record<(typeof VOLUME_SOURCES)[number], string>> = {
  // HasAPIObjectReference (pkg/api/pod/util.go): sources that need the API server.
  configMap: 'configmaps (via configmap volumes)',
  secret: 'secrets (via secret volumes)',
  csi: 'csidrivers (via CSI volumes)',
  glusterfs: 'endpoints (via glusterFS volumes)',
  persistentVolumeClaim: 'persistentvolumeclaims',
  ephemeral: 'persistentvolumeclaims (via ephemeral volumes)',
  azureFile: 'secrets (via azureFile volumes)',
};
const HONOURED_VOLUME_SOURCES = ['emptyDir', 'hostPath', 'downwardAPI', 'projected'];
const HOST_PATH_TYPES = ['', 'DirectoryOrCreate', 'Directory', 'FileOrCreate', 'File', 'Socket', 'CharDevice', 'BlockDevice'] as const;

function validateMode(col: Collector, field: string, mode: unknown): void {
  if (mode === undefined) return;
  if (!isInt(mode) || mode < 0 || mode > 0o777) col.invalid(field, mode, 'must be a number between 0 and 0777 (octal), both inclusive');
}

function validateDownwardItems(col: Collector, field: string, items: unknown, ctx: SpecContext, paths: Set<string>): void {
  if (items === undefined) return;
  if (!Array.isArray(items)) {
    col.invalid(field, items, 'must be a list');
    return;
  }
  items.forEach((raw: unknown, i) => {
    const f = `${field}[${i}]`;
    if (!isJson(raw)) return;
    const it = raw as { path?: string; mode?: number; fieldRef?: { apiVersion?: string; fieldPath?: string }; resourceFieldRef?: { containerName?: string; resource?: string; divisor?: string } };
    if (!it.path) col.required(`${f}.path`);
    else {
      const errs = relativePathErrors(it.path);
      if (String(it.path).startsWith('..')) errs.push("must not start with '..'");
      for (const e of errs) col.invalid(`${f}.path`, it.path, e);
      if (paths.has(it.path)) col.invalid(`${f}.path`, it.path, 'conflicting duplicate paths');
      paths.add(it.path);
    }
    validateMode(col, `${f}.mode`, it.mode);
    if (it.fieldRef && it.resourceFieldRef) col.invalid(f, 'resource', 'fieldRef and resourceFieldRef can not be specified simultaneously');
    else if (it.fieldRef) validateFieldRef(col, `${f}.fieldRef`, it.fieldRef, VOLUME_FIELD_PATHS);
    else if (it.resourceFieldRef) validateResourceFieldRef(col, `${f}.resourceFieldRef`, it.resourceFieldRef, ctx, true);
    else col.required(`${f}.fieldRef`);
  });
}

function validateVolumes(col: Collector, spec: PodSpec, ctx: SpecContext): void {
  if (spec.volumes === undefined) return;
  if (!Array.isArray(spec.volumes)) {
    col.invalid('spec.volumes', spec.volumes, 'must be a list');
    return;
  }
  spec.volumes.forEach((v, i) => {
    const f = `spec.volumes[${i}]`;
    if (!isObject(v)) {
      col.invalid(f, v, 'must be an object');
      return;
    }
    if (!v.name) col.required(`${f}.name`);
    else {
      const errs = dns1123LabelErrors(v.name);
      for (const e of errs) col.invalid(`${f}.name`, v.name, e);
      if (ctx.volumes.has(v.name)) col.add(`${f}.name`, `Duplicate value: ${q(v.name)}`);
      else if (!errs.length) ctx.volumes.set(v.name, v);
    }
    const sources = VOLUME_SOURCES.filter((k) => Reflect.get(v, k) !== undefined);
    if (sources.length > 1) {
      for (const k of sources.slice(1)) col.forbidden(`${f}.${k}`, 'may not specify more than 1 volume type');
      return;
    }
    const source = sources[0];
    if (!source) return;
    const apiRef = UNSUPPORTED_VOLUME_SOURCES[source];
    if (apiRef) {
      col.forbidden(`${f}.${source}`, staticPodRef(apiRef));
      return;
    }
    if (!HONOURED_VOLUME_SOURCES.includes(source)) {
      col.forbidden(`${f}.${source}`, `${source} volumes are not supported by statelet (supported: emptyDir, hostPath, downwardAPI, projected with downwardAPI sources)`);
      return;
    }
    if (v.hostPath) {
      const hp = v.hostPath;
      if (!hp.path) col.required(`${f}.hostPath.path`);
      else if (hp.path.split('/').includes('..')) col.invalid(`${f}.hostPath.path`, hp.path, "must not contain '..'");
      if (hp.type !== undefined && !HOST_PATH_TYPES.includes(hp.type)) col.unsupported(`${f}.hostPath.type`, hp.type, HOST_PATH_TYPES);
    }
    if (v.emptyDir) {
      const ed = v.emptyDir;
      if (ed.medium !== undefined && ed.medium !== '' && ed.medium !== 'Memory') {
        if (String(ed.medium).startsWith('HugePages')) col.forbidden(`${f}.emptyDir.medium`, 'HugePages-backed emptyDir volumes are not supported by statelet');
        else col.unsupported(`${f}.emptyDir.medium`, ed.medium, ['', 'Memory']);
      }
      if (ed.sizeLimit !== undefined) {
        const parsed = Quantity.tryParse(ed.sizeLimit);
        if (typeof parsed === 'string') col.invalid(`${f}.emptyDir.sizeLimit`, ed.sizeLimit, parsed);
        else if (parsed.sign() < 0) col.forbidden(`${f}.emptyDir.sizeLimit`, 'SizeLimit field must be a valid resource quantity');
      }
    }
    if (v.downwardAPI) {
      validateMode(col, `${f}.downwardAPI.defaultMode`, v.downwardAPI.defaultMode);
      validateDownwardItems(col, `${f}.downwardAPI.items`, v.downwardAPI.items, ctx, new Set());
    }
    if (v.projected) {
      validateMode(col, `${f}.projected.defaultMode`, v.projected.defaultMode);
      const paths = new Set<string>();
      (Array.isArray(v.projected.sources) ? v.projected.sources : []).forEach((src, j) => {
        const sf = `${f}.projected.sources[${j}]`;
        if (!isObject(src)) return;
        const kinds = (['configMap', 'secret', 'serviceAccountToken', 'clusterTrustBundle', 'podCertificate', 'downwardAPI'] as const).filter((k) => src[k] !== undefined);
        if (kinds.length !== 1) {
          col.forbidden(sf, 'may not specify more than 1 volume type per source');
          return;
        }
        const kind = kinds[0]!;
        const refs: Record<string, string> = {
          configMap: 'configmaps (via projected volumes)',
          secret: 'secrets (via projected volumes)',
          serviceAccountToken: 'serviceaccounts (via projected volumes)',
          clusterTrustBundle: 'clustertrustbundles',
          podCertificate: 'podcertificates',
        };
        if (refs[kind]) col.forbidden(`${sf}.${kind}`, staticPodRef(refs[kind]!));
        else validateDownwardItems(col, `${sf}.downwardAPI.items`, src.downwardAPI!.items, ctx, paths);
      });
    }
  });
}

function validateDns(col: Collector, spec: PodSpec): void {
  const policies = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
  if (spec.dnsPolicy !== undefined && !policies.includes(spec.dnsPolicy)) col.unsupported('spec.dnsPolicy', spec.dnsPolicy, policies);
  const dc = spec.dnsConfig;
  if (spec.dnsPolicy === 'None' && !isObject(dc)) col.required('spec.dnsConfig');
  if (!isObject(dc)) return;
  const ns = dc.nameservers ?? [];
  if (spec.dnsPolicy === 'None' && ns.length === 0) col.required('spec.dnsConfig.nameservers');
  if (ns.length > 3) col.invalid('spec.dnsConfig.nameservers', ns, 'must not have more than 3 nameservers');
  ns.forEach((n, i) => {
    if (!isIP(n)) col.invalid(`spec.dnsConfig.nameservers[${i}]`, n, 'must be a valid IP address');
  });
  const searches = dc.searches ?? [];
  if (searches.length > 32) col.invalid('spec.dnsConfig.searches', searches, 'must not have more than 32 search paths');
  if (searches.join(' ').length > 2048) col.invalid('spec.dnsConfig.searches', searches, 'must not have more than 2048 characters (including spaces) in the search list');
  searches.forEach((sd, i) => {
    const name = sd === '.' ? sd : sd.replace(/\.$/, '');
    if (name !== '.') for (const e of dns1123SubdomainErrors(name)) col.invalid(`spec.dnsConfig.searches[${i}]`, sd, e);
  });
  (dc.options ?? []).forEach((o, i) => {
    if (!isObject(o) || !o.name) col.required(`spec.dnsConfig.options[${i}].name`);
  });
}

/** nodeSelector against the node's well-known labels (the kubelet's NodeAffinity admission for static pods). */
export function nodeLabels(): Record<string, string> {
  const a = osArch();
  return {
    'kubernetes.io/hostname': osHostname().toLowerCase(),
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': a === 'x64' ? 'amd64' : a,
  };
}

function validateSpecFields(col: Collector, spec: PodSpec): void {
  if (spec.serviceAccountName) col.forbidden('spec.serviceAccountName', staticPodRef('serviceaccounts'));
  else if (spec.serviceAccount) col.forbidden('spec.serviceAccount', staticPodRef('serviceaccounts'));
  if (spec.imagePullSecrets?.length) col.forbidden('spec.imagePullSecrets', staticPodRef('secrets'));
  if (spec.resourceClaims?.length) col.forbidden('spec.resourceClaims', staticPodRef('resourceclaims'));
  if (spec.runtimeClassName) col.forbidden('spec.runtimeClassName', staticPodRef('runtimeclasses'));
  if (spec.priorityClassName && !['system-node-critical', 'system-cluster-critical'].includes(spec.priorityClassName)) {
    col.forbidden('spec.priorityClassName', staticPodRef(`priorityclasses (only the built-in system-node-critical and system-cluster-critical need none)`));
  }
  if (spec.readinessGates?.length) col.forbidden('spec.readinessGates', 'readiness gates are set through the API server, which a static pod does not have');
  if (spec.schedulingGates?.length) col.forbidden('spec.schedulingGates', 'a static pod is bound to its node: scheduling gates would never be removed');
  if (spec.overhead !== undefined) col.forbidden('spec.overhead', 'set by the RuntimeClass admission controller, which a static pod does not pass');
  if (spec.hostnameOverride !== undefined) col.forbidden('spec.hostnameOverride', 'the HostnameOverride feature (1.34 alpha) is not enabled');
  if (spec.os !== undefined && spec.os.name !== 'linux') col.unsupported('spec.os.name', spec.os.name, ['linux']);
  if (spec.hostUsers === false) col.forbidden('spec.hostUsers', 'user namespaces need containerd 2.0 or later; statelet supports only hostUsers: true');
  if (spec.shareProcessNamespace === true && spec.hostPID === true) col.invalid('spec.shareProcessNamespace', true, 'ShareProcessNamespace and HostPID cannot both be enabled');
  if (spec.activeDeadlineSeconds !== undefined && (!isInt(spec.activeDeadlineSeconds) || spec.activeDeadlineSeconds < 1 || spec.activeDeadlineSeconds > MAX_INT32)) {
    col.invalid('spec.activeDeadlineSeconds', spec.activeDeadlineSeconds, `must be between 1 and ${MAX_INT32}, inclusive`);
  }
  for (const k of ['hostname', 'subdomain'] as const) {
    const v = spec[k];
    if (v) for (const e of dns1123LabelErrors(v)) col.invalid(`spec.${k}`, v, e);
  }
  if (spec.nodeName) for (const e of dns1123SubdomainErrors(spec.nodeName)) col.invalid('spec.nodeName', spec.nodeName, e);
  (spec.hostAliases ?? []).forEach((h, i) => {
    if (!isObject(h)) return;
    if (!h.ip || !isIP(h.ip)) col.invalid(`spec.hostAliases[${i}].ip`, h.ip ?? '', 'must be valid IP address');
    (h.hostnames ?? []).forEach((n, j) => {
      for (const e of dns1123SubdomainErrors(n)) col.invalid(`spec.hostAliases[${i}].hostnames[${j}]`, n, e);
    });
  });
  if (isJson(spec.nodeSelector)) {
    const labels = nodeLabels();
    for (const [k, v] of Object.entries(spec.nodeSelector)) {
      if (labels[k] !== v) {
        col.invalid(`spec.nodeSelector[${k}]`, v, `does not match this node (a static pod runs only on its own node, whose labels are ${Object.entries(labels).map(([a, b]) => `${a}=${b}`).join(', ')})`);
      }
    }
  }
  if (spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution) {
    col.forbidden('spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution', 'statelet does not evaluate node affinity terms; use nodeSelector');
  }
  if (spec.preemptionPolicy !== undefined && !['PreemptLowerPriority', 'Never'].includes(spec.preemptionPolicy)) {
    col.unsupported('spec.preemptionPolicy', spec.preemptionPolicy, ['PreemptLowerPriority', 'Never']);
  }
}

/** Host ports are unique per protocol and host IP across the pod (AccumulateUniqueHostPorts). */
function validateHostPorts(col: Collector, spec: PodSpec): void {
  const seen = new Set<string>();
  const visit = (list: Container[] | undefined, name: string): void => {
    (Array.isArray(list) ? list : []).forEach((c, ci) => {
      (isObject(c) && Array.isArray(c.ports) ? c.ports : []).forEach((p, pi) => {
        if (!isObject(p) || !p.hostPort) return;
        const f = `spec.${name}[${ci}].ports[${pi}].hostPort`;
        if (spec.hostNetwork === true && p.hostPort !== p.containerPort) {
          col.invalid(f, p.hostPort, 'must match `containerPort` when `hostNetwork` is true');
        }
        const key = `${p.hostIP ?? ''}/${p.hostPort}/${p.protocol ?? 'TCP'}`;
        if (seen.has(key)) col.add(f, `Duplicate value: "${p.hostPort}/${p.protocol ?? 'TCP'}"`);
        seen.add(key);
      });
    });
  };
  visit(spec.containers, 'containers');
  visit(spec.initContainers, 'initContainers');
}

/** validatePodResourceConsistency: pod-level requests cover the containers', container limits fit the pod's. */
function validatePodLevelResources(col: Collector, spec: PodSpec): void {
  const r = spec.resources;
  if (!isObject(r)) return;
  const before = col.errors.length;
  validateResources(col, 'spec.resources', r, 'pod');
  if (col.errors.length > before) return;
  for (const [name, v] of Object.entries(r.requests ?? {})) {
    const podReq = Quantity.parse(v);
    const aggr = aggregateContainerRequest(spec, name);
    if (aggr && podReq.cmp(aggr) < 0) col.invalid(`spec.resources.requests[${name}]`, v, `must be greater than or equal to aggregate container requests of ${aggr.toString()}`);
  }
  for (const [name, v] of Object.entries(r.limits ?? {})) {
    const podLim = Quantity.parse(v);
    const visit = (list: Container[] | undefined, listName: string): void =>
      (Array.isArray(list) ? list : []).forEach((c, i) => {
        const cl = c?.resources?.limits?.[name];
        if (cl === undefined) return;
        const parsed = Quantity.tryParse(cl);
        if (typeof parsed !== 'string' && parsed.cmp(podLim) > 0) {
          col.invalid(`spec.${listName}[${i}].resources.limits[${name}]`, cl, `must be less than or equal to pod limits of ${podLim.toString()}`);
        }
      });
    visit(spec.containers, 'containers');
    visit(spec.initContainers, 'initContainers');
  }
}

// ---------------------------------------------------------------------------
// Per-container restart policy and rules (KEP-5307, KEP-5532), stop signals
// (KEP-4960) and resize policies (KEP-1287): validateContainerRestartPolicy,
// validateContainerStopSignal and validateResizePolicy of
// pkg/apis/core/validation/validation.go as of 1.36 (1.36 counts list lengths with
// field.TooMany, kubernetes#137136, and lists RestartAllContainers among the
// supported actions when its gate is on, kubernetes#137369).

const CONTAINER_RESTART_POLICIES = ['Always', 'OnFailure', 'Never'] as const;
const RESTART_RULE_OPERATORS = ['In', 'NotIn'] as const;
/** At most 20 rules per container and 255 exit codes per rule (types.go ContainerRestartRule). */
export const MAX_RESTART_RULES = 20;
export const MAX_RESTART_RULE_EXIT_CODES = 255;

/** field.TooMany: `Too many: <n>: must have at most <max> items`. */
const tooMany = (n: number, max: number): string => `Too many: ${n}: must have at most ${max} items`;

/** A field whose feature gate is off is refused by name, not silently dropped as the API server's dropDisabledFields would. */
export const gateOffMessage = (gate: keyof FeatureGates, stage: string): string =>
  `the ${gate} feature (${stage}) is not enabled (--feature-gates ${gate}=true)`;

function validateContainerRestartPolicy(col: Collector, field: string, c: Container, role: Role, gates: Readonly<FeatureGates>): void {
  const rules: unknown[] = Array.isArray(c.restartPolicyRules) ? c.restartPolicyRules : [];
  if (c.restartPolicyRules !== undefined && !Array.isArray(c.restartPolicyRules)) col.invalid(`${field}.restartPolicyRules`, c.restartPolicyRules, 'must be a list');
  if (role === 'ephemeral') {
    // Not in allowedEphemeralContainerFields: restarting an ephemeral container means nothing.
    if (c.restartPolicy !== undefined) col.forbidden(`${field}.restartPolicy`, 'cannot be set for an Ephemeral Container');
    if (rules.length) col.forbidden(`${field}.restartPolicyRules`, 'cannot be set for an Ephemeral Container');
    return;
  }
  if (!gates.ContainerRestartRules) {
    // 1.34 rules: restartPolicy only on init containers, only Always (a sidecar).
    if (rules.length) col.forbidden(`${field}.restartPolicyRules`, gateOffMessage('ContainerRestartRules', 'beta, on by default since 1.35'));
    if (c.restartPolicy === undefined) return;
    if (role === 'container') col.forbidden(`${field}.restartPolicy`, 'may not be set for non-init containers');
    else if (c.restartPolicy !== 'Always') col.unsupported(`${field}.restartPolicy`, c.restartPolicy, ['Always']);
    return;
  }
  if (c.restartPolicy === undefined) {
    if (rules.length) col.add(`${field}.restartPolicy`, 'Required value: must specify restartPolicy when restart rules are used');
  } else if (!(CONTAINER_RESTART_POLICIES as readonly string[]).includes(c.restartPolicy)) {
    col.unsupported(`${field}.restartPolicy`, c.restartPolicy, CONTAINER_RESTART_POLICIES);
  }
  if (!rules.length) return;
  if (role === 'sidecar' && !gates.RestartAllContainersOnContainerExits) {
    // A sidecar restarts whatever its exit code: only RestartAllContainers gives its rules a meaning.
    col.forbidden(`${field}.restartPolicyRules`, 'may not be set for a sidecar container (restartPolicy: Always) unless the RestartAllContainersOnContainerExits feature gate is on');
    return;
  }
  if (rules.length > MAX_RESTART_RULES) col.add(`${field}.restartPolicyRules`, tooMany(rules.length, MAX_RESTART_RULES));
  const actions = gates.RestartAllContainersOnContainerExits ? ['Restart', 'RestartAllContainers'] : ['Restart'];
  rules.forEach((r, i) => {
    const f = `${field}.restartPolicyRules[${i}]`;
    if (!isJson(r)) {
      col.invalid(f, r, 'must be an object');
      return;
    }
    // A missing action is Go's zero value "", reported as an unsupported value.
    const action = r['action'] ?? '';
    if (typeof action !== 'string' || !actions.includes(action)) col.unsupported(`${f}.action`, action, actions);
    const exitCodes = r['exitCodes'];
    if (exitCodes === undefined) {
      col.add(`${f}.exitCodes`, 'Required value: must be specified');
      return;
    }
    if (!isJson(exitCodes)) {
      col.invalid(`${f}.exitCodes`, exitCodes, 'must be an object');
      return;
    }
    const operator = exitCodes['operator'] ?? '';
    if (typeof operator !== 'string' || !(RESTART_RULE_OPERATORS as readonly string[]).includes(operator)) {
      col.unsupported(`${f}.exitCodes.operator`, operator, RESTART_RULE_OPERATORS);
    }
    const values = exitCodes['values'];
    if (Array.isArray(values) && values.length > MAX_RESTART_RULE_EXIT_CODES) col.add(`${f}.exitCodes.values`, tooMany(values.length, MAX_RESTART_RULE_EXIT_CODES));
  });
}

/**
 * The stop signals a Linux pod may ask for (validation.go supportedStopSignalsLinux), in
 * the order of the CRI Signal enum (1 = SIGABRT ... 65 = SIGRTMAX, 0 = RUNTIME_DEFAULT).
 */
export const LINUX_STOP_SIGNALS: readonly string[] = Object.freeze([
  'SIGABRT', 'SIGALRM', 'SIGBUS', 'SIGCHLD', 'SIGCLD', 'SIGCONT', 'SIGFPE', 'SIGHUP', 'SIGILL', 'SIGINT', 'SIGIO', 'SIGIOT',
  'SIGKILL', 'SIGPIPE', 'SIGPOLL', 'SIGPROF', 'SIGPWR', 'SIGQUIT', 'SIGSEGV', 'SIGSTKFLT', 'SIGSTOP', 'SIGSYS', 'SIGTERM',
  'SIGTRAP', 'SIGTSTP', 'SIGTTIN', 'SIGTTOU', 'SIGURG', 'SIGUSR1', 'SIGUSR2', 'SIGVTALRM', 'SIGWINCH', 'SIGXCPU', 'SIGXFSZ',
  'SIGRTMIN',
  ...Array.from({ length: 15 }, (_, i) => `SIGRTMIN+${i + 1}`),
  ...Array.from({ length: 14 }, (_, i) => `SIGRTMAX-${14 - i}`),
  'SIGRTMAX',
]);
/** sets.List order (sorted), as the API server prints the supported values. */
const LINUX_STOP_SIGNALS_SORTED = [...LINUX_STOP_SIGNALS].sort();

function validateStopSignal(col: Collector, field: string, signal: unknown, ctx: SpecContext): void {
  if (!ctx.gates.ContainerStopSignals) {
    col.forbidden(field, gateOffMessage('ContainerStopSignals', '1.33 alpha'));
    return;
  }
  // StopSignal can only be set for Pods with a non-empty .spec.os.name (types.go Lifecycle).
  const os = isObject(ctx.spec.os) ? ctx.spec.os.name : undefined;
  if (!os) {
    col.forbidden(field, 'may not be set for containers with empty `spec.os.name`');
    return;
  }
  if (os === 'linux' && (typeof signal !== 'string' || !LINUX_STOP_SIGNALS.includes(signal))) col.unsupported(field, signal, LINUX_STOP_SIGNALS_SORTED);
}

/** validateResizePolicy: cpu and memory once each, NotRequired or RestartContainer; only NotRequired under Never. */
function validateResizePolicy(col: Collector, field: string, policies: unknown, podRestartPolicy: string | undefined): void {
  if (!Array.isArray(policies)) return;
  const seen = new Set<string>();
  policies.forEach((rp: unknown, i) => {
    const f = `${field}[${i}]`;
    if (!isJson(rp)) return;
    const name = rp['resourceName'];
    const policy = rp['restartPolicy'];
    if (typeof name === 'string' && seen.has(name)) col.add(`${f}.resourceName`, `Duplicate value: ${q(name)}`);
    if (typeof name === 'string') seen.add(name);
    if (name === undefined || name === '') col.required(`${f}.resourceName`);
    else if (name !== 'cpu' && name !== 'memory') col.unsupported(`${f}.resourceName`, name, ['cpu', 'memory']);
    if (policy === undefined || policy === '') col.required(`${f}.restartPolicy`);
    else if (policy !== 'NotRequired' && policy !== 'RestartContainer') col.unsupported(`${f}.restartPolicy`, policy, ['NotRequired', 'RestartContainer']);
    else if (podRestartPolicy === 'Never' && policy !== 'NotRequired') col.invalid(`${f}.restartPolicy`, policy, "must be 'NotRequired' when `restartPolicy` is 'Never'");
  });
}

function validateContainer(col: Collector, field: string, c: Container, role: Role, grace: number | undefined, ctx: SpecContext): void {
  if (!isObject(c)) {
    col.invalid(field, c, 'must be an object');
    return;
  }
  if (c.name === undefined || c.name === '') col.required(`${field}.name`);
  else if (typeof c.name !== 'string') col.invalid(`${field}.name`, c.name, 'must be a string');
  else for (const e of dns1123LabelErrors(c.name)) col.invalid(`${field}.name`, c.name, e);

  if (c.image === undefined || c.image === '' || (typeof c.image === 'string' && c.image.trim() === '')) {
    col.required(`${field}.image`);
  } else if (typeof c.image !== 'string') col.invalid(`${field}.image`, c.image, 'must be a string');

  if (c.imagePullPolicy !== undefined && !PULL_POLICIES.includes(c.imagePullPolicy)) {
    col.unsupported(`${field}.imagePullPolicy`, c.imagePullPolicy, PULL_POLICIES);
  }
  for (const k of ['command', 'args'] as const) {
    const v = c[k];
    if (v !== undefined && (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))) {
      col.invalid(`${field}.${k}`, v, 'must be a list of strings');
    }
  }
  if (c.env !== undefined) {
    if (!Array.isArray(c.env)) col.invalid(`${field}.env`, c.env, 'must be a list');
    else validateEnv(col, `${field}.env`, c.env, ctx);
  }
  (Array.isArray(c.envFrom) ? c.envFrom : []).forEach((ef, i) => {
    const f = `${field}.envFrom[${i}]`;
    if (!isObject(ef)) return;
    if (ef.configMapRef) col.forbidden(`${f}.configMapRef`, staticPodRef('configmaps'));
    else if (ef.secretRef) col.forbidden(`${f}.secretRef`, staticPodRef('secrets'));
    else col.invalid(f, '', 'must specify one of: `configMapRef` or `secretRef`');
  });
  if (c.volumeMounts !== undefined) {
    if (!Array.isArray(c.volumeMounts)) col.invalid(`${field}.volumeMounts`, c.volumeMounts, 'must be a list');
    else validateVolumeMounts(col, `${field}.volumeMounts`, c.volumeMounts, c, role, ctx);
  }
  if (c.volumeDevices?.length) col.forbidden(`${field}.volumeDevices`, staticPodRef('persistentvolumeclaims (block volumes come from a persistentVolumeClaim)'));
  if (c.securityContext !== undefined) validateSecurityContext(col, `${field}.securityContext`, c.securityContext, role);
  if (c.terminationMessagePolicy !== undefined && !['File', 'FallbackToLogsOnError'].includes(c.terminationMessagePolicy)) {
    col.unsupported(`${field}.terminationMessagePolicy`, c.terminationMessagePolicy, ['File', 'FallbackToLogsOnError']);
  }
  validateContainerRestartPolicy(col, field, c, role, ctx.gates);
  if ((role === 'container' || role === 'sidecar') && isObject(c.lifecycle) && c.lifecycle.stopSignal !== undefined) validateStopSignal(col, `${field}.lifecycle.stopSignal`, c.lifecycle.stopSignal, ctx);
  validateResizePolicy(col, `${field}.resizePolicy`, c.resizePolicy, ctx.spec.restartPolicy);

  if (role === 'ephemeral') {
    for (const k of ['ports', 'lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe', 'resources', 'resizePolicy'] as const) {
      if (c[k] !== undefined) col.forbidden(`${field}.${k}`, 'cannot be set for an Ephemeral Container');
    }
    return;
  }

  if (c.ports !== undefined) {
    if (!Array.isArray(c.ports)) col.invalid(`${field}.ports`, c.ports, 'must be a list');
    else validatePorts(col, `${field}.ports`, c.ports);
  }
  if (c.resources !== undefined) validateResources(col, `${field}.resources`, c.resources, 'container');

  if (role === 'init') {
    // Regular init containers run to completion: no lifecycle hooks, no probes.
    for (const k of ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
      if (c[k] !== undefined) col.forbidden(`${field}.${k}`, 'may not be set for init containers without restartPolicy=Always');
    }
    return;
  }

  if (c.lifecycle !== undefined) {
    if (!isObject(c.lifecycle)) col.invalid(`${field}.lifecycle`, c.lifecycle, 'must be an object');
    else {
      if (c.lifecycle.postStart !== undefined) validateHandler(col, `${field}.lifecycle.postStart`, c.lifecycle.postStart, c, grace);
      if (c.lifecycle.preStop !== undefined) validateHandler(col, `${field}.lifecycle.preStop`, c.lifecycle.preStop, c, grace);
    }
  }
  if (c.livenessProbe !== undefined) validateProbe(col, `${field}.livenessProbe`, c.livenessProbe, c, 'liveness');
  if (c.readinessProbe !== undefined) {
    if (role === 'sidecar' || role === 'container') validateProbe(col, `${field}.readinessProbe`, c.readinessProbe, c, 'readiness');
  }
  if (c.startupProbe !== undefined) validateProbe(col, `${field}.startupProbe`, c.startupProbe, c, 'startup');
}

/** What validation depends on besides the pod: the feature gates (the API server's PodValidationOptions). */
export interface ValidationOptions {
  /** Kubelet feature gates (default: statelet's, the kubelet 1.36 defaults). */
  gates?: Readonly<FeatureGates>;
}

/** Validates a (defaulted) pod; returns every error found, in spec order. */
export function validatePod(pod: Pod, opts: ValidationOptions = {}): FieldError[] {
  const col = new Collector();
  const m = isObject(pod?.metadata) ? pod.metadata : undefined;
  if (!m) col.required('metadata');
  else {
    if (m.name === undefined || m.name === '') col.required('metadata.name');
    else if (typeof m.name !== 'string') col.invalid('metadata.name', m.name, 'must be a string');
    else for (const e of dns1123SubdomainErrors(m.name)) col.invalid('metadata.name', m.name, e);
    if (m.namespace === undefined || m.namespace === '') col.required('metadata.namespace');
    else if (typeof m.namespace !== 'string') col.invalid('metadata.namespace', m.namespace, 'must be a string');
    else for (const e of dns1123LabelErrors(m.namespace)) col.invalid('metadata.namespace', m.namespace, e);
    if (m.deletionGracePeriodSeconds !== undefined && (!isInt(m.deletionGracePeriodSeconds) || m.deletionGracePeriodSeconds < 0)) {
      col.invalid('metadata.deletionGracePeriodSeconds', m.deletionGracePeriodSeconds, 'must be greater than or equal to 0');
    }
    for (const k of ['labels', 'annotations'] as const) {
      const v = m[k];
      if (v !== undefined && (!isObject(v) || Object.values(v).some((x) => typeof x !== 'string'))) {
        col.invalid(`metadata.${k}`, v, 'must be a map of string to string');
        continue;
      }
      for (const [key, value] of Object.entries(v ?? {})) {
        for (const e of qualifiedNameErrors(key)) col.invalid(`metadata.${k}`, key, e);
        if (k === 'labels') for (const e of labelValueErrors(value)) col.invalid(`metadata.labels`, value, e);
      }
    }
    if (m.annotations && Object.entries(m.annotations).reduce((n, [a, b]) => n + a.length + b.length, 0) > 256 * 1024) {
      col.add('metadata.annotations', 'Too long: must have at most 262144 bytes');
    }
  }
  const s = isObject(pod?.spec) ? pod.spec : undefined;
  if (!s) {
    col.required('spec');
    return col.errors;
  }
  if (s.restartPolicy !== undefined && !RESTART_POLICIES.includes(s.restartPolicy)) {
    col.unsupported('spec.restartPolicy', s.restartPolicy, RESTART_POLICIES);
  }
  const grace = s.terminationGracePeriodSeconds;
  if (grace !== undefined && grace !== null && (!isInt(grace) || grace < 0)) {
    col.invalid('spec.terminationGracePeriodSeconds', grace, 'must be greater than or equal to 0');
  }
  if (s.hostNetwork !== undefined && typeof s.hostNetwork !== 'boolean') {
    col.invalid('spec.hostNetwork', s.hostNetwork, 'must be a boolean');
  }

  const ctx: SpecContext = {
    spec: s,
    gates: opts.gates ?? DEFAULT_FEATURE_GATES,
    volumes: new Map(),
    containerNames: new Set(
      [...(Array.isArray(s.containers) ? s.containers : []), ...(Array.isArray(s.initContainers) ? s.initContainers : [])]
        .filter((c) => isObject(c) && typeof c.name === 'string')
        .map((c) => c.name),
    ),
  };
  validateVolumes(col, s, ctx);

  const seen = new Set<string>();
  const checkUnique = (field: string, c: Container): void => {
    if (!isObject(c) || typeof c.name !== 'string' || !c.name) return;
    if (seen.has(c.name)) col.add(`${field}.name`, `Duplicate value: ${q(c.name)}`);
    seen.add(c.name);
  };

  if (s.initContainers !== undefined) {
    if (!Array.isArray(s.initContainers)) col.invalid('spec.initContainers', s.initContainers, 'must be a list');
    else
      s.initContainers.forEach((c, i) => {
        const f = `spec.initContainers[${i}]`;
        validateContainer(col, f, c, isObject(c) && c.restartPolicy === 'Always' ? 'sidecar' : 'init', grace, ctx);
        checkUnique(f, c);
      });
  }
  if (!Array.isArray(s.containers) || s.containers.length === 0) col.required('spec.containers');
  else
    s.containers.forEach((c, i) => {
      const f = `spec.containers[${i}]`;
      validateContainer(col, f, c, 'container', grace, ctx);
      checkUnique(f, c);
    });
  if (s.ephemeralContainers !== undefined) {
    if (!Array.isArray(s.ephemeralContainers)) col.invalid('spec.ephemeralContainers', s.ephemeralContainers, 'must be a list');
    else
      s.ephemeralContainers.forEach((c, i) => {
        const f = `spec.ephemeralContainers[${i}]`;
        validateContainer(col, f, c, 'ephemeral', grace, ctx);
        checkUnique(f, c);
      });
  }
  validateHostPorts(col, s);
  validatePodLevelResources(col, s);
  validatePodSecurityContext(col, s);
  validateDns(col, s);
  validateSpecFields(col, s);
  return col.errors;
}

/** ValidatePodUpdate's list of what an update may change (pkg/apis/core/validation, release-1.34). */
const UPDATABLE_POD_SPEC_FIELDS = [
  '`spec.containers[*].image`',
  '`spec.initContainers[*].image`',
  '`spec.activeDeadlineSeconds`',
  '`spec.tolerations` (only additions to existing tolerations)',
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
];

/** Paths at which two JSON values differ (for the update error, in place of cmp.Diff). */
function diffPaths(a: unknown, b: unknown, path: string, out: string[]): void {
  if (JSON.stringify(a) === JSON.stringify(b)) return;
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    a.forEach((x, i) => diffPaths(x, b[i], `${path}[${i}]`, out));
    return;
  }
  if (isJson(a) && isJson(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) diffPaths(a[k], b[k], `${path}.${k}`, out);
    return;
  }
  out.push(path);
}

const RESIZABLE_RESOURCES = ['cpu', 'memory'];

/**
 * ValidatePodResize (KEP-1287, GA in 1.35) for the containers of an edit: the cpu and
 * memory requests and limits of regular containers and sidecars, and their
 * resizePolicy, may change; other resources may not, a request or limit may not be
 * removed, a regular init container's resources are immutable, and the QoS class must
 * stay. What was checked is copied back from `old` into `munged`, so the generic
 * ValidatePodUpdate diff does not report it again.
 */
function validateResize(col: Collector, munged: PodSpec, old: PodSpec, next: Pod, prev: Pod): void {
  let resized = false;
  const visit = (listName: 'containers' | 'initContainers'): void => {
    const to = munged[listName];
    const from = old[listName];
    if (!Array.isArray(to) || !Array.isArray(from) || to.length !== from.length) return;
    to.forEach((c, i) => {
      const was = from[i];
      if (!isObject(c) || !isObject(was) || c.name !== was.name) return;
      const sameResources = JSON.stringify(c.resources ?? {}) === JSON.stringify(was.resources ?? {});
      const samePolicy = JSON.stringify(c.resizePolicy ?? []) === JSON.stringify(was.resizePolicy ?? []);
      if (sameResources && samePolicy) return;
      const f = `spec.${listName}[${i}]`;
      if (listName === 'initContainers' && !(c.restartPolicy === 'Always' && was.restartPolicy === 'Always')) {
        col.forbidden(`${f}.resources`, 'resources for non-sidecar init containers are immutable');
      } else if (!sameResources) {
        resized = true;
        let otherChanged = false;
        for (const kind of ['requests', 'limits'] as const) {
          const a: Record<string, string> = isJson(was.resources?.[kind]) ? was.resources![kind]! : {};
          const b: Record<string, string> = isJson(c.resources?.[kind]) ? c.resources![kind]! : {};
          let removed = false;
          for (const name of new Set([...Object.keys(a), ...Object.keys(b)])) {
            if (a[name] === b[name]) continue;
            if (!RESIZABLE_RESOURCES.includes(name)) otherChanged = true;
            else if (b[name] === undefined) removed = true;
          }
          if (removed) col.forbidden(`${f}.resources.${kind}`, `resource ${kind} cannot be removed`);
        }
        if (otherChanged) col.forbidden(`${f}.resources`, 'only cpu and memory resources are mutable');
      }
      c.resources = was.resources;
      if (was.resources === undefined) delete c.resources;
      c.resizePolicy = was.resizePolicy;
      if (was.resizePolicy === undefined) delete c.resizePolicy;
    });
  };
  visit('containers');
  visit('initContainers');
  if (!resized) return;
  const before = getPodQOS(prev);
  const after = getPodQOS(next);
  if (before !== after) col.invalid('spec', after, `Pod QOS Class may not change as a result of resizing (it is ${before})`);
}

/**
 * ValidatePodUpdate for an edited static manifest (both pods defaulted): only the
 * images, activeDeadlineSeconds (set, or lowered), added tolerations and labels and
 * annotations may change. statelet also lets an edit add ephemeral containers (the
 * ephemeralcontainers subresource of a cluster), but not change existing ones, and,
 * with InPlacePodVerticalScaling, resize containers (what a cluster's resize
 * subresource takes; see validateResize).
 */
export function validatePodUpdate(next: Pod, prev: Pod, opts: ValidationOptions = {}): FieldError[] {
  const col = new Collector();
  const munged = structuredClone(next.spec);
  const old = prev.spec;
  if ((opts.gates ?? DEFAULT_FEATURE_GATES).InPlacePodVerticalScaling) validateResize(col, munged, old, next, prev);
  const copyImages = (to: Container[] | undefined, from: Container[] | undefined): void => {
    if (!Array.isArray(to) || !Array.isArray(from) || to.length !== from.length) return;
    to.forEach((c, i) => {
      if (isObject(c) && isObject(from[i])) c.image = from[i]!.image;
    });
  };
  copyImages(munged.containers, old.containers);
  copyImages(munged.initContainers, old.initContainers);
  const nextDeadline = next.spec.activeDeadlineSeconds;
  const prevDeadline = old.activeDeadlineSeconds;
  if (prevDeadline !== undefined) {
    if (nextDeadline === undefined) col.invalid('spec.activeDeadlineSeconds', null, 'must not update from a positive integer to nil value');
    else if (nextDeadline > prevDeadline) col.invalid('spec.activeDeadlineSeconds', nextDeadline, 'must be less than or equal to previous value');
  }
  munged.activeDeadlineSeconds = prevDeadline;
  if (prevDeadline === undefined) delete munged.activeDeadlineSeconds;
  const prevTol = old.tolerations ?? [];
  const nextTol = munged.tolerations ?? [];
  if (prevTol.every((t) => nextTol.some((n) => JSON.stringify(n) === JSON.stringify(t)))) {
    if (old.tolerations === undefined) delete munged.tolerations;
    else munged.tolerations = old.tolerations;
  }
  if ((old.terminationGracePeriodSeconds ?? 0) < 0 && munged.terminationGracePeriodSeconds === 1) {
    munged.terminationGracePeriodSeconds = old.terminationGracePeriodSeconds;
  }
  const prevEph = old.ephemeralContainers ?? [];
  const nextEph = munged.ephemeralContainers ?? [];
  prevEph.forEach((c, i) => {
    const now = nextEph.find((n) => n.name === c.name);
    if (!now) col.forbidden(`spec.ephemeralContainers[${i}]`, 'existing ephemeral containers may not be removed');
    else if (JSON.stringify(now) !== JSON.stringify(c)) col.forbidden(`spec.ephemeralContainers[${i}]`, 'existing ephemeral containers may not be changed');
  });
  if (old.ephemeralContainers === undefined) delete munged.ephemeralContainers;
  else munged.ephemeralContainers = old.ephemeralContainers;
  const changed: string[] = [];
  diffPaths(old, munged, 'spec', changed);
  if (changed.length) {
    col.forbidden('spec', `pod updates may not change fields other than ${UPDATABLE_POD_SPEC_FIELDS.join(',')}; changed: ${changed.join(', ')}`);
  }
  return col.errors;
}

/** parse + defaults + validation; throws ManifestError listing every problem. */
export function loadPod(text: string, sourceName?: string, opts: ValidationOptions = {}): Pod {
  const parsed = parseLocated(text, sourceName);
  const pod = applyDefaults(parsed.pod);
  const errors = validatePod(pod, opts);
  if (errors.length) throw new ManifestError(locate(errors, parsed.positions), sourceName);
  return pod;
}
