import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
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
export const PROTO_LOADER_OPTIONS: protoLoader.Options = {
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
  definition: protoLoader.PackageDefinition;
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

let cached: LoadedCriProto | undefined;

/** Loads proto/api.proto once per process (it is immutable data, not state). */
export function loadCriProto(): LoadedCriProto {
  if (cached) return cached;
  const file = join(packageRoot(), 'proto', 'api.proto');
  const definition = protoLoader.loadSync(file, PROTO_LOADER_OPTIONS);
  const loaded = grpc.loadPackageDefinition(definition);
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
  const loaded = grpc.loadPackageDefinition(protoLoader.loadSync(file, PROTO_LOADER_OPTIONS));
  health = serviceOf<HealthConstructor>(loaded, ['grpc', 'health', 'v1', 'Health'], ['Check'], file);
  return health;
}
