// Strict decoding of a v1 Pod, as the API server's strict field validation
// (and `kubectl apply --validate=strict`) does it: every field must be declared
// in the schema, and each value must have its declared kind. The schema is the
// generated one (from kubernetes-types) plus the fields added since that
// package's release, up to Kubernetes 1.36.
import { POD_SCHEMA_GENERATED } from './pod-schema.generated.js';
import type { FieldError } from './manifest.js';

type Schema = Record<string, Record<string, string>>;

/**
 * Fields newer than the generated schema (kubernetes-types 1.30), from
 * staging/src/k8s.io/api/core/v1/types.go (release-1.34; the restart rules as of 1.36). 'any' is a value
 * not walked further (its use is rejected by validation anyway).
 */
const ADDED_SINCE_1_30: Schema = {
  PodSpec: { resources: 'ResourceRequirements' /* 1.32 */, hostnameOverride: 'string' /* 1.34 */ },
  Container: { restartPolicyRules: '[]ContainerRestartRule' /* 1.34 */ },
  EphemeralContainer: { restartPolicyRules: '[]ContainerRestartRule' /* 1.34; rejected by validation */ },
  ContainerRestartRule: { action: 'string', exitCodes: 'ContainerRestartRuleOnExitCodes' },
  ContainerRestartRuleOnExitCodes: { operator: 'string', values: '[]int' },
  Lifecycle: { stopSignal: 'string' /* 1.33 */ },
  EnvVarSource: { fileKeyRef: 'any' /* 1.34 */ },
  Volume: { image: 'ImageVolumeSource' /* 1.31 */ },
  ImageVolumeSource: { reference: 'string', pullPolicy: 'string' },
  VolumeProjection: { podCertificate: 'any' /* 1.34 */ },
  PodSecurityContext: { supplementalGroupsPolicy: 'string' /* 1.31 */, seLinuxChangePolicy: 'string' /* 1.32 */ },
  ResourceClaim: { request: 'string' /* 1.31 */ },
  // Status is written by the node, never read from a manifest: accepted as-is.
  Pod: { status: 'any' },
};

export const POD_SCHEMA: Schema = (() => {
  const out: Schema = {};
  for (const [k, v] of Object.entries(POD_SCHEMA_GENERATED)) out[k] = { ...v };
  for (const [k, v] of Object.entries(ADDED_SINCE_1_30)) out[k] = { ...(out[k] ?? {}), ...v };
  return out;
})();

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const q = (v: unknown): string => JSON.stringify(v);

/** Edit distance, for "did you mean" on a misspelled field. */
function distance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}

function suggestion(name: string, fields: string[]): string {
  let best: string | undefined;
  let bestD = Infinity;
  for (const f of fields) {
    const d = distance(name, f);
    if (d < bestD) {
      bestD = d;
      best = f;
    }
  }
  return best !== undefined && bestD <= Math.max(1, Math.floor(best.length / 3)) ? ` (did you mean ${q(best)}?)` : '';
}

/**
 * Walks `value` as `kind`, appending an error per unknown field or value of the
 * wrong kind. JSON null is an absent field (as Go's decoder treats it) and is
 * removed, so later stages only see real values.
 */
function walk(value: unknown, kind: string, path: string, errors: FieldError[]): void {
  if (kind === 'any') return;
  if (kind.startsWith('[]')) {
    if (!Array.isArray(value)) {
      errors.push({ field: path, message: `Invalid value: ${q(value)}: must be a list` });
      return;
    }
    const inner = kind.slice(2);
    value.forEach((v, i) => {
      if (v !== null) walk(v, inner, `${path}[${i}]`, errors);
    });
    return;
  }
  const map = /^map\[(.*)\]$/.exec(kind);
  if (map) {
    if (!isObj(value)) {
      errors.push({ field: path, message: `Invalid value: ${q(value)}: must be a map` });
      return;
    }
    for (const [k, v] of Object.entries(value)) {
      if (v === null) delete value[k];
      else walk(v, map[1]!, `${path}[${k}]`, errors);
    }
    return;
  }
  switch (kind) {
    case 'string':
      if (typeof value !== 'string') errors.push({ field: path, message: `Invalid value: ${q(value)}: must be a string` });
      return;
    case 'int':
      if (typeof value !== 'number' || !Number.isInteger(value)) errors.push({ field: path, message: `Invalid value: ${q(value)}: must be an integer` });
      return;
    case 'bool':
      if (typeof value !== 'boolean') errors.push({ field: path, message: `Invalid value: ${q(value)}: must be a boolean (true or false)` });
      return;
    case 'intOrString':
      if (typeof value !== 'string' && !(typeof value === 'number' && Number.isInteger(value))) {
        errors.push({ field: path, message: `Invalid value: ${q(value)}: must be an integer or a string` });
      }
      return;
    case 'quantity':
      // The grammar is checked by validation; here only the JSON kind.
      if (typeof value !== 'string' && typeof value !== 'number') errors.push({ field: path, message: `Invalid value: ${q(value)}: must be a quantity (a string such as "100m" or "64Mi", or a number)` });
      return;
  }
  const fields = POD_SCHEMA[kind];
  if (!fields) throw new Error(`pod schema: no type ${kind}`);
  if (!isObj(value)) {
    errors.push({ field: path, message: `Invalid value: ${q(value)}: must be an object` });
    return;
  }
  for (const [k, v] of Object.entries(value)) {
    const fieldPath = path ? `${path}.${k}` : k;
    const fk = fields[k];
    if (fk === undefined) {
      errors.push({ field: fieldPath, message: `unknown field${suggestion(k, Object.keys(fields))}` });
      continue;
    }
    if (v === null) {
      delete value[k];
      continue;
    }
    walk(v, fk, fieldPath, errors);
  }
}

/** Strict decoding of a Pod object (already parsed from YAML/JSON); null fields are removed in place. */
export function decodeStrict(obj: Record<string, unknown>): FieldError[] {
  const errors: FieldError[] = [];
  walk(obj, 'Pod', '', errors);
  return errors;
}
