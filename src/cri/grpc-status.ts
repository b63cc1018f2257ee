// gRPC status codes as numbers, without loading @grpc/grpc-js: the typed CRI
// errors (errors.ts) and the fault rules of the embedded runtime need only the
// numbers, and an embedder that imports the package entry should not pay for
// the gRPC stack until it creates a client (issue 15). The values are the
// wire codes (google.golang.org/grpc/codes, grpc-js `status`), fixed by the
// gRPC protocol; test/cri checks them against grpc-js's own enum.

export const GrpcStatus = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

export type GrpcStatusName = keyof typeof GrpcStatus;

/** `NOT_FOUND` → 5; undefined for a name gRPC does not define. */
export function grpcStatusCode(name: string): number | undefined {
  return Object.hasOwn(GrpcStatus, name) ? GrpcStatus[name as GrpcStatusName] : undefined;
}
