// How a Go gRPC status error prints, so messages the kubelet builds from a
// CRI error (with %v / err.Error()) read the same here. No imports: the charts
// (machines/) use this through errorInfo, and the visualizer bundles them.

/** Go's codes.Code String() names (google.golang.org/grpc/codes/code_string.go). Note "Canceled". */
const GO_CODE_NAMES: readonly string[] = [
  'OK',
  'Canceled',
  'Unknown',
  'InvalidArgument',
  'DeadlineExceeded',
  'NotFound',
  'AlreadyExists',
  'PermissionDenied',
  'ResourceExhausted',
  'FailedPrecondition',
  'Aborted',
  'OutOfRange',
  'Unimplemented',
  'Internal',
  'Unavailable',
  'DataLoss',
  'Unauthenticated',
];

/** `NotFound`, `DeadlineExceeded`, ...; `Code(17)` for a number Go has no name for. */
export function goCodeName(code: number): string {
  return Number.isInteger(code) && code >= 0 && code < GO_CODE_NAMES.length ? GO_CODE_NAMES[code]! : `Code(${code})`;
}

/**
 * `status.Error(code, msg).Error()`: `rpc error: code = <Code> desc = <msg>`,
 * what `%v` of a CRI error gives in the kubelet.
 */
export function goStatusString(code: number, message: string): string {
  return `rpc error: code = ${goCodeName(code)} desc = ${message}`;
}

/** Go's text for a context whose deadline passed: the client-side deadline's status message. */
export const GO_DEADLINE_EXCEEDED = 'context deadline exceeded';
/** Go's text for a cancelled context. */
export const GO_CONTEXT_CANCELED = 'context canceled';

/**
 * grpc-js words a deadline it enforced itself `Deadline exceeded` or
 * `Deadline exceeded after 0.201s,remote_addr=...`; grpc-go gives the
 * context's error instead. Other DEADLINE_EXCEEDED texts came from the runtime
 * and are kept.
 */
export function isClientDeadlineText(details: string): boolean {
  return /^Deadline exceeded(?: after |$)/.test(details);
}

/**
 * The error cri-client's PullImage returns, as `%v` prints it (k8s 1.34,
 * staging/src/k8s.io/cri-client/pkg/remote_image.go pullImageV1): an Unknown
 * status is reduced to its message ("We can strip the code from unknown status
 * errors since they add no value"), which is also what lets the image manager
 * see a `RegistryUnavailable...` / `SignatureValidationFailed...` prefix.
 * Every other code keeps Go's `rpc error: ...` form.
 */
export function goPullErrorString(code: number, message: string): string {
  return code === 2 ? message : goStatusString(code, message);
}
