import { status } from '@grpc/grpc-js';

/**
 * An error a CRI handler returns on purpose: a gRPC status code plus the
 * message the client sees as `details`. Messages copy containerd 1.6's
 * wording (see /work/shared/containerd/NOTES.md) because the kubelet shows
 * them verbatim in events, and tests compare both runtimes.
 */
export class RuntimeError extends Error {
  override name = 'RuntimeError';
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export const notFound = (msg: string) => new RuntimeError(status.NOT_FOUND, msg);
/** containerd returns most failures as UNKNOWN (2). */
export const unknownErr = (msg: string) => new RuntimeError(status.UNKNOWN, msg);
export const invalidArg = (msg: string) => new RuntimeError(status.INVALID_ARGUMENT, msg);
