// Dependencies loaded on first use rather than when the package entry is
// imported (issue 15: the entry's idle RSS). Each is a CommonJS package, so a
// synchronous require works where the caller is synchronous (the CriClient
// constructor, parseManifest); Node caches the module, so the ESM `import` of
// the same package elsewhere (the embedded runtime's server) gets the same
// instance and classes compare equal across both paths.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** @grpc/grpc-js: the CRI client's and the gRPC probe's transport. */
export function grpcJs(): typeof import('@grpc/grpc-js') {
  return require('@grpc/grpc-js');
}

/** @grpc/proto-loader: parses proto/api.proto and proto/health.proto. */
export function protoLoader(): typeof import('@grpc/proto-loader') {
  return require('@grpc/proto-loader');
}

/** yaml: manifests and fault files. */
export function yaml(): typeof import('yaml') {
  return require('yaml');
}

/** prom-client: the node agent's /metrics. */
export function promClient(): typeof import('prom-client') {
  return require('prom-client');
}

let http: typeof import('node:http') | undefined;
let https: typeof import('node:https') | undefined;

/**
 * node:http / node:https for the HTTP probes and httpGet hooks: https pulls in
 * tls and the crypto bindings (about 2.5 MiB RSS in a fresh process), which a
 * node with no HTTP probe or hook never needs. Cached: probes call this per attempt.
 */
export function nodeHttp(secure: boolean): typeof import('node:http') | typeof import('node:https') {
  if (secure) return (https ??= require('node:https'));
  return (http ??= require('node:http'));
}

/**
 * node:crypto, node:child_process and node:zlib are each required where first
 * used (a pod uid, a tmpfs mount, a log rotation): together with node:https
 * they are some 3 MiB of RSS an idle importer of the package does not need.
 */
export function nodeCrypto(): typeof import('node:crypto') {
  return require('node:crypto');
}
export function nodeChildProcess(): typeof import('node:child_process') {
  return require('node:child_process');
}
export function nodeZlib(): typeof import('node:zlib') {
  return require('node:zlib');
}
