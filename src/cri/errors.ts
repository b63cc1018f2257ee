import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';

const CODE_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(GrpcStatus)
    .filter(([, v]) => typeof v === 'number')
    .map(([k, v]) => [v as number, k]),
);

export function grpcCodeName(code: number): string {
  return CODE_NAMES[code] ?? `CODE_${code}`;
}

/**
 * A failed CRI call. `details` is the runtime's own status message (what the
 * kubelet shows in `Error: <msg>` events); `message` also names the call and
 * the endpoint, for logs and CLI errors.
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
  const details = typeof se?.details === 'string' && se.details !== '' ? se.details : String((err as Error)?.message ?? err);
  if (aborted || code === GrpcStatus.CANCELLED) {
    return new CriAbortedError(method, endpoint, GrpcStatus.CANCELLED, aborted ? 'cancelled by caller' : details, { cause: err });
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
