// Pod manifests: parse (YAML or JSON), apply API defaults, validate. Pure apart from
// crypto.randomUUID for a missing metadata.uid (the API server's job in a cluster).
import { randomUUID } from 'node:crypto';
import { parseAllDocuments } from 'yaml';
import type {
  Container,
  ContainerPort,
  HTTPGetAction,
  IntOrString,
  LifecycleHandler,
  Pod,
  Probe,
  ProbeType,
} from './types.js';

export interface FieldError {
  field: string;
  message: string;
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

/**
 * Parses one Pod from YAML or JSON text (JSON is YAML 1.2). Checks only the envelope
 * (single document, kind Pod, apiVersion v1, metadata/spec objects); call applyDefaults and
 * validatePod (or use loadPod) for the rest.
 */
export function parseManifest(text: string, sourceName?: string): Pod {
  let docs;
  try {
    docs = parseAllDocuments(text);
  } catch (err) {
    throw new ManifestError([{ field: '', message: `invalid YAML: ${(err as Error).message}` }], sourceName);
  }
  // parseAllDocuments returns an EmptyStream (array-like, length 0) for empty input.
  const list = Array.isArray(docs) ? docs : [];
  const nonEmpty = list.filter((d) => d.contents !== null);
  for (const d of list) {
    if (d.errors.length > 0) {
      throw new ManifestError([{ field: '', message: `invalid YAML: ${d.errors[0]!.message}` }], sourceName);
    }
  }
  if (nonEmpty.length === 0) throw new ManifestError([{ field: '', message: 'empty manifest' }], sourceName);
  if (nonEmpty.length > 1) {
    throw new ManifestError([{ field: '', message: `expected one Pod, found ${nonEmpty.length} documents` }], sourceName);
  }
  const obj: unknown = nonEmpty[0]!.toJS();
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
  if (errors.length) throw new ManifestError(errors, sourceName);
  return obj as unknown as Pod;
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

function defaultContainer(c: Container): void {
  if (!isObject(c)) return;
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
  if (!m.uid) m.uid = randomUUID();
  if (!isObject(out.spec)) (out as { spec: unknown }).spec = { containers: [] };
  const s = out.spec;
  if (s.terminationGracePeriodSeconds === undefined || s.terminationGracePeriodSeconds === null) {
    s.terminationGracePeriodSeconds = DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS;
  }
  if (!s.restartPolicy) s.restartPolicy = 'Always';
  for (const list of [s.containers, s.initContainers, s.ephemeralContainers]) {
    if (Array.isArray(list)) for (const c of list) defaultContainer(c);
  }
  return out;
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
  const names = (Array.isArray(c.ports) ? c.ports : []).map((p) => p?.name).filter(Boolean);
  if (!names.includes(port)) col.invalid(field, port, 'must match the name of a port of this container');
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

function validateContainer(col: Collector, field: string, c: Container, role: Role, grace: number | undefined): void {
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
    else
      c.env.forEach((e, i) => {
        if (!isObject(e) || typeof e.name !== 'string' || !e.name) col.required(`${field}.env[${i}].name`);
      });
  }

  // restartPolicy on a container: only init containers, only Always (sidecars).
  if (c.restartPolicy !== undefined) {
    if (role === 'init' || role === 'sidecar') {
      if (c.restartPolicy !== 'Always') col.unsupported(`${field}.restartPolicy`, c.restartPolicy, ['Always']);
    } else {
      col.forbidden(`${field}.restartPolicy`, 'may not be set for non-init containers');
    }
  }

  if (role === 'ephemeral') {
    for (const k of ['ports', 'lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
      if (c[k] !== undefined) col.forbidden(`${field}.${k}`, 'cannot be set for an Ephemeral Container');
    }
    return;
  }

  if (c.ports !== undefined) {
    if (!Array.isArray(c.ports)) col.invalid(`${field}.ports`, c.ports, 'must be a list');
    else validatePorts(col, `${field}.ports`, c.ports);
  }

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

/** Validates a (defaulted) pod; returns every error found, in spec order. */
export function validatePod(pod: Pod): FieldError[] {
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
      }
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
        validateContainer(col, f, c, isObject(c) && c.restartPolicy === 'Always' ? 'sidecar' : 'init', grace);
        checkUnique(f, c);
      });
  }
  if (!Array.isArray(s.containers) || s.containers.length === 0) col.required('spec.containers');
  else
    s.containers.forEach((c, i) => {
      const f = `spec.containers[${i}]`;
      validateContainer(col, f, c, 'container', grace);
      checkUnique(f, c);
    });
  if (s.ephemeralContainers !== undefined) {
    if (!Array.isArray(s.ephemeralContainers)) col.invalid('spec.ephemeralContainers', s.ephemeralContainers, 'must be a list');
    else
      s.ephemeralContainers.forEach((c, i) => {
        const f = `spec.ephemeralContainers[${i}]`;
        validateContainer(col, f, c, 'ephemeral', grace);
        checkUnique(f, c);
      });
  }
  return col.errors;
}

/** parse + defaults + validation; throws ManifestError listing every problem. */
export function loadPod(text: string, sourceName?: string): Pod {
  const pod = applyDefaults(parseManifest(text, sourceName));
  const errors = validatePod(pod);
  if (errors.length) throw new ManifestError(errors, sourceName);
  return pod;
}
