import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { packageRoot } from '../paths.js';

/**
 * Options shared by the client and the embedded server, so both see the same
 * JavaScript shapes: camelCase fields, int64 as decimal strings (nanosecond
 * timestamps do not fit a double), enums as their names, defaults filled in.
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

export interface LoadedCriProto {
  definition: protoLoader.PackageDefinition;
  pkg: {
    RuntimeService: grpc.ServiceClientConstructor;
    ImageService: grpc.ServiceClientConstructor;
  };
}

let cached: LoadedCriProto | undefined;

/** Loads proto/api.proto once per process (it is immutable data, not state). */
export function loadCriProto(): LoadedCriProto {
  if (cached) return cached;
  const file = join(packageRoot(), 'proto', 'api.proto');
  const definition = protoLoader.loadSync(file, PROTO_LOADER_OPTIONS);
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    runtime: { v1: LoadedCriProto['pkg'] };
  };
  cached = { definition, pkg: loaded.runtime.v1 };
  return cached;
}
