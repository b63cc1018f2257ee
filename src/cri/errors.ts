import type { ServiceError } from '@grpc/grpc-js';
// The codes come from a local table, not grpc-js: these error classes are
// importable (and instanceof-checkable) without loading the gRPC stack.
import { GrpcStatus } from './grpc-status.js';
import { GO_CONTEXT_CANCELED, GO_DEADLINE_EXCEEDED, goPullErrorString, goStatusString, isClientDeadlineText } from './go-status.js';

export { goCodeName, goPullErrorString, goStatusString } from './go-status.js';
export { GrpcStatus, grpcStatusCode } from './grpc-status.js';

const CODE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(GrpcStatus).map(([k, v]) => [v, k]));

export function grpcCodeName(code: number): string {
  return CODE_NAMES[code] ?? `CODE_${code}`;
}

/**
 * A failed CRI call. `details` is the runtime's own status message, Go's
 * `s.Message()` (what the kubelet shows in CreateContainer's and
 * StartContainer's `Error: <msg>`); `goString` is Go's `%v` of the error,
 * `rpc error: code = <Code> desc = <msg>` (what it shows in `Failed to pull
 * image`, `Failed to create pod sandbox`, KillContainerError, ...); `message`
 * also names the call and the endpoint, for logs and CLI errors.
 */
export class CriError extends Error {
  override name = 'CriError';
  constructor(
    readonly method: string,
    readonly endpoint: string,
    readonly code: number,
    readonly details: string,
    options?: { cause?: unknown },
  ) {
    super(`CRI ${method} on ${endpoint} failed: ${grpcCodeName(code)}: ${details}`, options);
  }
  get codeName(): string {
    return grpcCodeName(this.code);
  }
  /** Go's `err.Error()` / `%v`: `rpc error: code = NotFound desc = <details>`. */
  get goString(): string {
    return goStatusString(this.code, this.details);
  }
  /** `%v` of the error cri-client's PullImage returns: Unknown is reduced to its message. */
  get goPullString(): string {
    return goPullErrorString(this.code, this.details);
  }
}

/** NOT_FOUND: unknown container, sandbox or image. */
export class CriNotFoundError extends CriError {
  override name = 'CriNotFoundError';
}
/** UNAVAILABLE: the runtime is down, or the socket path is wrong. */
export class CriUnavailableError extends CriError {
  override name = 'CriUnavailableError';
}
/** DEADLINE_EXCEEDED on a call other than ExecSync. */
export class CriDeadlineExceededError extends CriError {
  override name = 'CriDeadlineExceededError';
}
/** UNIMPLEMENTED: the runtime lacks the RPC (containerd 1.6 and GetContainerEvents). */
export class CriUnimplementedError extends CriError {
  override name = 'CriUnimplementedError';
}
/** The caller's AbortSignal fired and the call was cancelled. */
export class CriAbortedError extends CriError {
  override name = 'CriAbortedError';
}
/**
 * ExecSync's DEADLINE_EXCEEDED, mapped as the kubelet maps it to an exec
 * timeout (probes count it as a failure, not an error).
 */
export class ExecTimeoutError extends CriError {
  override name = 'ExecTimeoutError';
}

export function toCriError(method: string, endpoint: string, err: unknown, aborted = false): CriError {
  if (err instanceof CriError) return err;
  const se = err as Partial<ServiceError>;
  const code = typeof se?.code === 'number' ? se.code : GrpcStatus.UNKNOWN;
  let details = typeof se?.details === 'string' && se.details !== '' ? se.details : String((err as Error)?.message ?? err);
  // A deadline grpc-js enforced itself: grpc-go's status message is the context's error.
  if (code === GrpcStatus.DEADLINE_EXCEEDED && isClientDeadlineText(details)) details = GO_DEADLINE_EXCEEDED;
  if (aborted || code === GrpcStatus.CANCELLED) {
    // The caller's own cancellation reads as grpc-go's cancelled context.
    return new CriAbortedError(method, endpoint, GrpcStatus.CANCELLED, aborted ? GO_CONTEXT_CANCELED : details, { cause: err });
  }
  switch (code) {
    case GrpcStatus.NOT_FOUND:
      return new CriNotFoundError(method, endpoint, code, details, { cause: err });
    case GrpcStatus.UNAVAILABLE:
      return new CriUnavailableError(method, endpoint, code, details, { cause: err });
    case GrpcStatus.UNIMPLEMENTED:
      return new CriUnimplementedError(method, endpoint, code, details, { cause: err });
    case GrpcStatus.DEADLINE_EXCEEDED:
      return method.endsWith('ExecSync')
        ? new ExecTimeoutError(method, endpoint, code, details, { cause: err })
        : new CriDeadlineExceededError(method, endpoint, code, details, { cause: err });
    default:
      return new CriError(method, endpoint, code, details, { cause: err });
  }
}

export function isNotFound(err: unknown): boolean {
  return err instanceof CriNotFoundError;
}
