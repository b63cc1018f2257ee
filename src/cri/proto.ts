import { join } from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import type * as protoLoaderTypes from '@grpc/proto-loader';
import { grpcJs, protoLoader } from '../lazy-deps.js';
import { packageRoot } from '../paths.js';
import type { ProtoGrpcType as HealthProtoGrpcType } from './generated/health.js';
import type { CriV1 } from './types.js';

/**
 * Options shared by the client and the embedded server, so both see the same
 * JavaScript shapes: camelCase fields, int64 as decimal strings (nanosecond
 * timestamps do not fit a double), enums as their names, defaults filled in.
 * scripts/gen-cri-types.mjs passes the same choices to proto-loader-gen-types,
 * so the generated `__Output` types describe these shapes.
 */
export const PROTO_LOADER_OPTIONS: protoLoaderTypes.Options = {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  arrays: true,
  objects: true,
  oneofs: true,
};

/** The generated service constructors: `new` gives a client with one typed stub per RPC. */
export type RuntimeServiceConstructor = CriV1['RuntimeService'];
export type ImageServiceConstructor = CriV1['ImageService'];
export type HealthConstructor = HealthProtoGrpcType['grpc']['health']['v1']['Health'];

export interface LoadedCriProto {
  definition: protoLoaderTypes.PackageDefinition;
  pkg: {
    RuntimeService: RuntimeServiceConstructor;
    ImageService: ImageServiceConstructor;
  };
}

/** The RPCs the client calls: the loaded proto must define each (a trimmed proto fails here, not mid-call). */
const RUNTIME_RPCS = [
  'Version', 'Status', 'RunPodSandbox', 'StopPodSandbox', 'RemovePodSandbox', 'PodSandboxStatus', 'ListPodSandbox',
  'CreateContainer', 'StartContainer', 'StopContainer', 'RemoveContainer', 'ListContainers', 'ContainerStatus',
  'UpdateContainerResources', 'ExecSync', 'ReopenContainerLog', 'ContainerStats', 'GetContainerEvents',
] as const satisfies readonly (keyof RuntimeServiceConstructor['service'])[];
const IMAGE_RPCS = ['ListImages', 'ImageStatus', 'PullImage', 'RemoveImage', 'ImageFsInfo'] as const satisfies readonly (keyof ImageServiceConstructor['service'])[];

/** obj[path[0]][path[1]]..., or undefined. */
function at(obj: unknown, path: readonly string[]): unknown {
  let v: unknown = obj;
  for (const key of path) v = typeof v === 'object' && v !== null ? Reflect.get(v, key) : undefined;
  return v;
}

/**
 * grpc.loadPackageDefinition returns an untyped tree; this checks at runtime
 * that `ctor` is the service constructor the generated type `C` describes (a
 * constructor whose service definition has every RPC in `rpcs`).
 */
function isServiceConstructor<C>(ctor: unknown, rpcs: readonly string[]): ctor is C {
  if (typeof ctor !== 'function') return false;
  const service: unknown = Reflect.get(ctor, 'service');
  return typeof service === 'object' && service !== null && rpcs.every((rpc) => rpc in service);
}

function serviceOf<C>(pkg: grpc.GrpcObject, path: readonly string[], rpcs: readonly string[], file: string): C {
  const ctor = at(pkg, path);
  if (!isServiceConstructor<C>(ctor, rpcs)) throw new Error(`${file}: no ${path.join('.')} service with the RPCs ${rpcs.join(', ')}`);
  return ctor;
}

/**
 * What loadSync is given: PROTO_LOADER_OPTIONS without `longs`, so that int64
 * fields come out of protobufjs as long.js values, which decimalLongs() turns
 * into the same decimal strings `longs: String` gives. long.js's own toString
 * divides by 10^6 in 64-bit arithmetic made of fresh Long objects: on a relist
 * of 110 pods every second (a timestamp per container and sandbox) it was a
 * fifth of the agent's steady allocation, and that rate decides when V8 gives
 * back the young generation a start-up burst grew (bench/memory, README).
 */
const { longs: _decimalStrings, ...LOAD_OPTIONS } = PROTO_LOADER_OPTIONS;

/** A long.js value (protobufjs's int64 representation); long.js marks them on the prototype. */
interface LongValue {
  low: number;
  high: number;
  unsigned: boolean;
}
function isLong(v: object): v is LongValue {
  return (v as { __isLong__?: unknown }).__isLong__ === true;
}

/** 2^21: a high word under it (with any low word) is below 2^53 in magnitude, exact as a double. */
const EXACT_HIGH = 0x200000;

/** Decimal text of a 64-bit value, as long.js's toString(10) writes it. */
export function longToDecimal(l: LongValue): string {
  const lo = l.low >>> 0;
  if (l.high === 0) return String(lo);
  if ((!l.unsigned || l.high >= 0) && l.high > -EXACT_HIGH && l.high < EXACT_HIGH) return String(l.high * 4294967296 + lo);
  const bits = (BigInt(l.high) << 32n) | BigInt(lo);
  return (l.unsigned ? BigInt.asUintN(64, bits) : BigInt.asIntN(64, bits)).toString();
}

/** Replaces, in place, every long.js value in a decoded message (nested messages, repeated fields, maps) by its decimal string. */
export function decimalLongs<T>(value: T): T {
  if (typeof value === 'object' && value !== null) convertIn(value);
  return value;
}
function convertIn(obj: object): void {
  if (ArrayBuffer.isView(obj)) return; // bytes fields
  if (Array.isArray(obj)) {
    for (let i = 0; i < obj.length; i++) {
      const v: unknown = obj[i];
      if (typeof v === 'object' && v !== null) {
        if (isLong(v)) obj[i] = longToDecimal(v);
        else convertIn(v);
      }
    }
    return;
  }
  const rec = obj as Record<string, unknown>;
  for (const k in rec) {
    const v = rec[k];
    if (typeof v === 'object' && v !== null) {
      if (isLong(v)) rec[k] = longToDecimal(v);
      else convertIn(v);
    }
  }
}

function isMessageType(entry: protoLoaderTypes.AnyDefinition): entry is protoLoaderTypes.MessageTypeDefinition<object, object> {
  return Reflect.get(entry, 'format') === 'Protocol Buffer 3 DescriptorProto';
}
function isEnumType(entry: protoLoaderTypes.AnyDefinition): entry is protoLoaderTypes.EnumTypeDefinition {
  return Reflect.get(entry, 'format') === 'Protocol Buffer 3 EnumDescriptorProto';
}

/**
 * Wraps every deserializer of the definition with decimalLongs: each RPC's
 * (the client's responses, the embedded server's requests) and each message
 * type's own (loadCriProto().definition is exported).
 */
function withDecimalLongs(definition: protoLoaderTypes.PackageDefinition): void {
  for (const entry of Object.values(definition)) {
    if (isEnumType(entry)) continue;
    if (isMessageType(entry)) {
      const decode = entry.deserialize;
      entry.deserialize = (buf) => decimalLongs(decode(buf));
      continue;
    }
    for (const method of Object.values(entry)) {
      const response = method.responseDeserialize;
      const request = method.requestDeserialize;
      method.responseDeserialize = (buf) => decimalLongs(response(buf));
      method.requestDeserialize = (buf) => decimalLongs(request(buf));
    }
  }
}

let cached: LoadedCriProto | undefined;

/**
 * Loads proto/api.proto once per process (it is immutable data, not state).
 * grpc-js and proto-loader are required here, on the first call (the first
 * CriClient or embedded runtime), not when the package entry is imported.
 */
export function loadCriProto(): LoadedCriProto {
  if (cached) return cached;
  const file = join(packageRoot(), 'proto', 'api.proto');
  const definition = protoLoader().loadSync(file, LOAD_OPTIONS);
  withDecimalLongs(definition);
  const loaded = grpcJs().loadPackageDefinition(definition);
  cached = {
    definition,
    pkg: {
      RuntimeService: serviceOf<RuntimeServiceConstructor>(loaded, ['runtime', 'v1', 'RuntimeService'], RUNTIME_RPCS, file),
      ImageService: serviceOf<ImageServiceConstructor>(loaded, ['runtime', 'v1', 'ImageService'], IMAGE_RPCS, file),
    },
  };
  return cached;
}

let health: HealthConstructor | undefined;

/** Loads proto/health.proto (grpc.health.v1, for gRPC probes) once per process. */
export function loadHealthService(): HealthConstructor {
  if (health) return health;
  const file = join(packageRoot(), 'proto', 'health.proto');
  const loaded = grpcJs().loadPackageDefinition(protoLoader().loadSync(file, PROTO_LOADER_OPTIONS));
  health = serviceOf<HealthConstructor>(loaded, ['grpc', 'health', 'v1', 'Health'], ['Check'], file);
  return health;
}
