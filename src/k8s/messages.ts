// One source for every reason string and message the kubelet (1.34) emits that
// statelet reproduces: events (§2), container state reasons (§3), lifecycle hook
// messages (§4), condition reasons (§11). Machines, actors and tests import these
// instead of spelling strings themselves.
import { goDuration } from './format.js';
import type { LifecycleHandler, IntOrString, ProbeType } from './types.js';

// ---------------------------------------------------------------------------
// Go formatting helpers (the kubelet builds messages with %q and %v).

/** Go `%q` for a string: double-quoted with Go escapes (\n, \t, \", \\, \xNN for other controls). */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    switch (ch) {
      case '"': out += '\\"'; break;
      case '\\': out += '\\\\'; break;
      case '\n': out += '\\n'; break;
      case '\t': out += '\\t'; break;
      case '\r': out += '\\r'; break;
      case '\x07': out += '\\a'; break;
      case '\b': out += '\\b'; break;
      case '\f': out += '\\f'; break;
      case '\v': out += '\\v'; break;
      default:
        if (cp < 0x20 || cp === 0x7f) out += '\\x' + cp.toString(16).padStart(2, '0');
        else out += ch;
    }
  }
  return out + '"';
}

/** Go `%v` of a []string: `[a b c]`. */
export function goStringSlice(items: readonly string[]): string {
  return `[${items.join(' ')}]`;
}

/** Go `%v` of an intstr.IntOrString value: `{0 8080 }` or `{1 0 http}`. */
function goIntOrString(v: IntOrString): string {
  return typeof v === 'number' ? `{0 ${v} }` : `{1 0 ${v}}`;
}

/**
 * The generated String() of a *v1.LifecycleHandler, as `%v` prints it inside
 * `invalid handler: %v`. Only reached when exec/httpGet/sleep are all nil, so the
 * only member that can be non-nil is the deprecated tcpSocket.
 */
export function goLifecycleHandlerString(h: LifecycleHandler): string {
  // exec/httpGet/sleep are printed as nil: the handler runner only reaches its
  // `invalid handler` branch when all three are nil.
  const tcp = h.tcpSocket
    ? `&TCPSocketAction{Port:${goIntOrString(h.tcpSocket.port)},Host:${h.tcpSocket.host ?? ''},}`
    : 'nil';
  return `&LifecycleHandler{Exec:nil,HTTPGet:nil,TCPSocket:${tcp},Sleep:nil,}`;
}

// ---------------------------------------------------------------------------
// Event reasons (pkg/kubelet/events).

export const EventReason = {
  // image
  Pulling: 'Pulling',
  Pulled: 'Pulled',
  Failed: 'Failed',
  BackOff: 'BackOff',
  ErrImageNeverPull: 'ErrImageNeverPull',
  InspectFailed: 'InspectFailed',
  // container lifecycle
  Created: 'Created',
  Started: 'Started',
  Killing: 'Killing',
  FailedPostStartHook: 'FailedPostStartHook',
  FailedPreStopHook: 'FailedPreStopHook',
  LifecycleHTTPFallback: 'LifecycleHTTPFallback',
  // probes
  Unhealthy: 'Unhealthy',
  ProbeWarning: 'ProbeWarning',
  // pod level
  SandboxChanged: 'SandboxChanged',
  FailedCreatePodSandBox: 'FailedCreatePodSandBox',
  FailedPodSandBoxStatus: 'FailedPodSandBoxStatus',
  FailedKillPod: 'FailedKillPod',
  ExceededGracePeriod: 'ExceededGracePeriod',
  FailedSync: 'FailedSync',
  NetworkNotReady: 'NetworkNotReady',
} as const;
export type EventReason = (typeof EventReason)[keyof typeof EventReason];

// ---------------------------------------------------------------------------
// Container waiting reasons (§3) and the sync-result error names that feed them.

export const WaitingReason = {
  ContainerCreating: 'ContainerCreating',
  PodInitializing: 'PodInitializing',
  CrashLoopBackOff: 'CrashLoopBackOff',
  ErrImagePull: 'ErrImagePull',
  ImagePullBackOff: 'ImagePullBackOff',
  ErrImageNeverPull: 'ErrImageNeverPull',
  InvalidImageName: 'InvalidImageName',
  ImageInspectError: 'ImageInspectError',
  RegistryUnavailable: 'RegistryUnavailable',
  SignatureValidationFailed: 'SignatureValidationFailed',
  CreateContainerConfigError: 'CreateContainerConfigError',
  CreateContainerError: 'CreateContainerError',
  PreCreateHookError: 'PreCreateHookError',
  PreStartHookError: 'PreStartHookError',
  RunContainerError: 'RunContainerError',
  PostStartHookError: 'PostStartHookError',
} as const;
export type WaitingReason = (typeof WaitingReason)[keyof typeof WaitingReason];

/** Sync-result errors that never become waiting reasons (sandbox/kill failures). */
export const SyncErrorReason = {
  CreatePodSandboxError: 'CreatePodSandboxError',
  ConfigPodSandboxError: 'ConfigPodSandboxError',
  KillPodSandboxError: 'KillPodSandboxError',
  KillContainerError: 'KillContainerError',
} as const;

/** Terminated reasons: the first group comes from the CRI runtime, the last is kubelet-made. */
export const TerminatedReason = {
  Completed: 'Completed',
  Error: 'Error',
  OOMKilled: 'OOMKilled',
  StartError: 'StartError',
  ContainerCannotRun: 'ContainerCannotRun',
  ContainerStatusUnknown: 'ContainerStatusUnknown',
} as const;

/** `ContainerStatusUnknown` (exit 137) when CRI reports UNKNOWN and the API state was Running. */
export const MSG_CONTAINER_UNKNOWN_ON_TERMINATION = 'The container could not be located when the pod was terminated';
/** lastState message when a Running container vanished (note the two spaces, verbatim). */
export const MSG_CONTAINER_VANISHED_ON_DELETE =
  'The container could not be located when the pod was deleted.  The container used to be Running';
export const CONTAINER_STATUS_UNKNOWN_EXIT_CODE = 137;

/** Internal kill reasons of killContainer (containerKillReason). */
export const KillReason = {
  StartupProbe: 'StartupProbe',
  LivenessProbe: 'LivenessProbe',
  FailedPostStartHook: 'FailedPostStartHook',
  Unknown: 'Unknown',
} as const;
export type KillReason = (typeof KillReason)[keyof typeof KillReason];

/** Pod condition reasons (pkg/kubelet/status/generate.go). */
export const ConditionReason = {
  UnknownContainerStatuses: 'UnknownContainerStatuses',
  PodCompleted: 'PodCompleted',
  PodFailed: 'PodFailed',
  ContainersNotReady: 'ContainersNotReady',
  ContainersNotInitialized: 'ContainersNotInitialized',
  ReadinessGatesNotReady: 'ReadinessGatesNotReady',
  /** KEP-5532: AllContainersRestarting=True after a RestartAllContainers rule matched. */
  ContainerExited: 'ContainerExited',
} as const;

// ---------------------------------------------------------------------------
// Container lifecycle event messages.

/** Normal Created (1.33–1.34 form). */
export const createdMessage = (c: string): string => `Created container: ${c}`;
/** Normal Started (<=1.34 form). */
export const startedMessage = (c: string): string => `Started container ${c}`;
/** `Error: <err>` — the Warning Failed event for create/start/config/image errors. */
export const errorMessage = (err: string): string => `Error: ${err}`;

/** Default Killing message (no specific kill reason, or pod-level kill). */
export const stoppingContainerMessage = (c: string): string => `Stopping container ${c}`;

const withRestart = (msg: string, restart: boolean | undefined): string => (restart ? `${msg}, will be restarted` : msg);

/** `Container <c> failed liveness probe[, will be restarted]` (regular containers). */
export const livenessKillMessage = (c: string, restart: boolean): string =>
  withRestart(`Container ${c} failed liveness probe`, restart);
/** `Container <c> failed startup probe[, will be restarted]`. */
export const startupKillMessage = (c: string, restart: boolean): string =>
  withRestart(`Container ${c} failed startup probe`, restart);
/** `Container <c> definition changed[, will be restarted]`. */
export const definitionChangedKillMessage = (c: string, restart: boolean): string =>
  withRestart(`Container ${c} definition changed`, restart);
export const MSG_KILL_UNKNOWN_STATE = 'Container is in "unknown" state, try killing it before restart';
/** Kill message used when postStart fails (killContainer message argument). */
export const MSG_KILL_FAILED_POST_START = 'FailedPostStartHook';

/** Sidecar (restartable init) kill messages from computeInitContainerActions. */
export const initLivenessKillMessage = (c: string): string => `Init container ${c} failed liveness probe`;
export const initStartupKillMessage = (c: string): string => `Init container ${c} failed startup probe`;
export const initDefinitionChangedKillMessage = (c: string): string => `Init container ${c} definition changed`;
export const MSG_INIT_KILL_UNKNOWN_STATE = 'Init container is in "unknown" state, try killing it before restart';

/** Warning BackOff event (>=1.26 form, names the pod). */
export const backOffRestartMessage = (c: string, podRef: string): string =>
  `Back-off restarting failed container ${c} in pod ${podRef}`;
/** CrashLoopBackOff waiting message: `back-off 1m20s restarting failed container=<c> pod=<P>`. */
export const crashLoopBackOffMessage = (backoffMs: number, c: string, podRef: string): string =>
  `back-off ${goDuration(backoffMs)} restarting failed container=${c} pod=${podRef}`;

export const MSG_POST_START_HOOK_FAILED = 'PostStartHook failed';
export const MSG_PRE_STOP_HOOK_FAILED = 'PreStopHook failed';

// ---------------------------------------------------------------------------
// Image messages (EnsureImageExists).

export const pullingMessage = (image: string): string => `Pulling image ${goQuote(image)}`;

/** Durations are printed truncated to milliseconds, as the kubelet does. */
const truncMs = (ms: number): number => Math.trunc(ms);

/** Pulled, current form: `... in <d> (<d> including waiting). Image size: <n> bytes.` */
export const pulledMessage = (image: string, pullMs: number, totalMs: number, sizeBytes: number): string =>
  `Successfully pulled image ${goQuote(image)} in ${goDuration(truncMs(pullMs))} (${goDuration(
    truncMs(totalMs),
  )} including waiting). Image size: ${sizeBytes} bytes.`;
/** Pulled, older short form. */
export const pulledShortMessage = (image: string, pullMs: number): string =>
  `Successfully pulled image ${goQuote(image)} in ${goDuration(truncMs(pullMs))}`;
/** Pulled when the image was already present (emitted on every start without a pull). */
export const alreadyPresentMessage = (image: string): string =>
  `Container image ${goQuote(image)} already present on machine`;
/**
 * Warning Failed `Failed to pull image "<img>": <err>` (image_manager.go pullImage, `%v`).
 * `err` is `%v` of what cri-client's PullImage returned: `errorInfo(e).pullError`
 * (`rpc error: code = NotFound desc = ...`; an Unknown status is reduced to its message).
 */
export const failedToPullMessage = (image: string, err: string): string =>
  `Failed to pull image ${goQuote(image)}: ${err}`;

/**
 * evalCRIPullErr (image_manager.go): the sync-result reason and waiting message of a
 * failed pull. A pull error starting with `RegistryUnavailable` / `SignatureValidationFailed`
 * (only possible once cri-client stripped an Unknown code) gets its own reason and
 * `image pull failed for <img> because ...<rest>`; anything else is ErrImagePull with
 * the error text itself as the message. `pullError` as for failedToPullMessage.
 */
export function pullErrorResult(image: string, pullError: string): { reason: WaitingReason; message: string } {
  const cases: [WaitingReason, string][] = [
    [WaitingReason.RegistryUnavailable, 'the registry is unavailable'],
    [WaitingReason.SignatureValidationFailed, 'the signature validation failed'],
  ];
  for (const [reason, why] of cases) {
    if (pullError.startsWith(reason)) {
      return { reason, message: `image pull failed for ${image} because ${why}${pullError.slice(reason.length)}` };
    }
  }
  return { reason: WaitingReason.ErrImagePull, message: pullError };
}
/**
 * Normal BackOff event (always without `cause`) and the ImagePullBackOff waiting message.
 * Since 1.32 (#127918) the image manager keeps the last pull failure of the
 * `<podUID>_<image>` key as `<reason>: <msg>` (any reason, ErrImagePull included) and
 * the waiting message carries it: `Back-off pulling image "x": ErrImagePull: rpc error: ...`.
 * Pass `cause` = pullErrorResult(...) of that failure for the waiting message.
 */
export const backOffPullImageMessage = (image: string, cause?: { reason: string; message: string }): string =>
  cause
    ? `Back-off pulling image ${goQuote(image)}: ${cause.reason}: ${cause.message}`
    : `Back-off pulling image ${goQuote(image)}`;
export const neverPullMessage = (image: string): string =>
  `Container image ${goQuote(image)} is not present with pull policy of Never`;
/**
 * Warning InspectFailed and the ImageInspectError waiting message: `Failed to inspect image
 * "<img>": <err>`, err = `%v` of the ImageStatus error (`errorInfo(e).grpc`).
 * Kubelet 1.33/1.34 (imagePullPrecheck) quote the image ref GetImageRef just set to ""
 * on that error, so the real text is `Failed to inspect image "": rpc error: ...`
 * (kubernetes#141571 restores the name): pass INSPECT_FAILED_IMAGE_1_34 as `image`
 * for that, or the requested image for the older/fixed form.
 */
export const inspectFailedMessage = (image: string, err: string): string =>
  `Failed to inspect image ${goQuote(image)}: ${err}`;
/** What kubelet 1.33/1.34 print as the image in `Failed to inspect image %q` (the empty imageRef). */
export const INSPECT_FAILED_IMAGE_1_34 = '';
export const invalidImageNameMessage = (image: string, err: string): string =>
  `Failed to apply default image tag ${goQuote(image)}: ${err}`;

// ---------------------------------------------------------------------------
// CreateContainerConfigError messages from config generation (kuberuntime, 1.34).

const podContainer = (podRef: string, c: string): string => `(pod: ${goQuote(podRef)}, container: ${c})`;

/** verifyRunAsNonRoot: runAsNonRoot with an explicit runAsUser 0. */
export const runAsUserBreaksNonRootMessage = (podRef: string, c: string): string =>
  `container's runAsUser breaks non-root policy ${podContainer(podRef, c)}`;
/** verifyRunAsNonRoot: the image's uid is 0, or the image names no user (getImageUser treats that as 0). */
export const imageWillRunAsRootMessage = (podRef: string, c: string): string =>
  `container has runAsNonRoot and image will run as root ${podContainer(podRef, c)}`;
/** verifyRunAsNonRoot: the image names its user (any name, `root` included). */
export const imageNonNumericUserMessage = (username: string, podRef: string, c: string): string =>
  `container has runAsNonRoot and image has non-numeric user (${username}), cannot verify user is non-root ${podContainer(podRef, c)}`;
/** verifyRunAsNonRoot: the image's uid fails validation.IsValidUserID (0..MaxInt32); "Must be 1-" is the kubelet's wording. */
export const imageInvalidUserIdMessage = (uid: number | string, podRef: string, c: string): string =>
  `container has runAsNonRoot and image has an invalid user id (${uid}). (Must be 1-(2147483647)): must be between 0 and 2147483647, inclusive ${podContainer(podRef, c)}`;
/** startSpec.getTargetID: an ephemeral container's targetContainerName has no container status. */
export const targetContainerNotFoundMessage = (target: string): string => `unable to find target container ${target}`;

// ---------------------------------------------------------------------------
// Lifecycle hook messages (§4).

/** Error text of a non-zero ExecSync (remote runtime): `command '<cmd>' exited with <code>: <stderr>`. */
export const execExitError = (cmd: readonly string[], exitCode: number, stderr: string): string =>
  `command '${cmd.join(' ')}' exited with ${exitCode}: ${stderr}`;

export const execHookFailedMessage = (
  command: readonly string[],
  c: string,
  podRef: string,
  err: string,
  output: string,
): string =>
  `Exec lifecycle hook (${goStringSlice(command)}) for Container ${goQuote(c)} in Pod ${goQuote(
    podRef,
  )} failed - error: ${err}, message: ${goQuote(output)}`;

export const httpHookFailedMessage = (path: string, c: string, podRef: string, err: string): string =>
  `HTTP lifecycle hook (${path}) for Container ${goQuote(c)} in Pod ${goQuote(podRef)} failed - error: ${err}`;

export const sleepHookFailedMessage = (seconds: number, c: string, podRef: string, err: string): string =>
  `Sleep lifecycle hook (${seconds}) for Container ${goQuote(c)} in Pod ${goQuote(podRef)} failed - error: ${err}`;

/** Error of a sleep hook whose context is cancelled first. */
export const ERR_SLEEP_HOOK_CANCELLED = 'container terminated before sleep hook finished';

/** The error for a handler with none of exec/httpGet/sleep (e.g. a tcpSocket hook). */
export const invalidHandlerError = (h: LifecycleHandler): string => `invalid handler: ${goLifecycleHandlerString(h)}`;
/** Hook message for the invalid-handler case: `Cannot run handler: invalid handler: ...`. */
export const cannotRunHandlerMessage = (h: LifecycleHandler): string => `Cannot run handler: ${invalidHandlerError(h)}`;

export const failedToFindNetworkingContainer = (err: string): string => `failed to find networking container: ${err}`;
export const invalidPortNumber = (n: number): string => `invalid port number: ${n}`;

export const lifecycleHTTPFallbackMessage = (hostPort: string): string =>
  `request to HTTPS lifecycle hook ${hostPort} got HTTP response, retry with HTTP succeeded`;

// ---------------------------------------------------------------------------
// Probes.

export type ProbeResult = 'success' | 'failure' | 'unknown' | 'warning';

const PROBE_TYPE_NAME: Record<ProbeType, string> = {
  liveness: 'Liveness',
  readiness: 'Readiness',
  startup: 'Startup',
};
export const probeTypeName = (t: ProbeType): string => PROBE_TYPE_NAME[t];

/** Warning Unhealthy: `<Type> probe failed: <output>`. */
export const probeFailedMessage = (t: ProbeType, output: string): string => `${PROBE_TYPE_NAME[t]} probe failed: ${output}`;
/** Warning Unhealthy for a probe error (result discarded). */
export const probeErroredMessage = (t: ProbeType, result: ProbeResult, err: string): string =>
  `${PROBE_TYPE_NAME[t]} probe errored and resulted in ${result} state: ${err}`;
/** Warning ProbeWarning (counts as success). */
export const probeWarningMessage = (t: ProbeType, output: string): string => `${PROBE_TYPE_NAME[t]} probe warning: ${output}`;
/** HTTP probe output for a status outside 200..399. */
export const httpProbeStatusFailure = (code: number): string => `HTTP probe failed with statuscode: ${code}`;

// ---------------------------------------------------------------------------
// Pod-level events.

export const MSG_SANDBOX_CHANGED = 'Pod sandbox changed, it will be killed and re-created.';
/** Warning FailedCreatePodSandBox (SyncPod, `%v` of the RunPodSandbox error: `errorInfo(e).grpc`). */
export const failedCreateSandboxMessage = (err: string): string => `Failed to create pod sandbox: ${err}`;
/** Warning FailedPodSandBoxStatus (SyncPod, `%v` of the PodSandboxStatus error: `errorInfo(e).grpc`). */
export const failedSandboxStatusMessage = (err: string): string => `Unable to get pod sandbox status: ${err}`;
/** Warning FailedKillPod: `error killing pod: <err>`, err = killPodErrorText(...) (kubelet.go SyncTerminatingPod, `%v`). */
export const failedKillPodMessage = (err: string): string => `error killing pod: ${err}`;

/**
 * One failed sync action as PodSyncResult.Error() words it (container/sync_result.go):
 * `failed to %q for %q with %w: %q`, e.g.
 * `failed to "KillContainer" for "app" with KillContainerError: "rpc error: code = Unknown desc = boom"`.
 * The message is %q-quoted, so quotes inside it come out as \".
 */
export const syncResultError = (action: string, target: string, reason: string, message: string): string =>
  `failed to ${goQuote(action)} for ${goQuote(target)} with ${reason}: ${goQuote(message)}`;

/** A failed killContainer inside KillPod; `err` = `err.Error()` of StopContainer's error (`errorInfo(e).grpc`). */
export const killContainerSyncError = (container: string, err: string): string =>
  syncResultError('KillContainer', container, SyncErrorReason.KillContainerError, err);

/** A failed StopPodSandbox inside KillPod; the target is the pod UID (runningPod.ID). */
export const killPodSandboxSyncError = (podUid: string, err: string): string =>
  syncResultError('KillPodSandbox', podUid, SyncErrorReason.KillPodSandboxError, err);

/**
 * utilerrors.NewAggregate(errs).Error() (k8s.io/apimachinery/pkg/util/errors): one
 * error prints alone; several print `[e1, e2]`, repeated texts only once (and a list
 * whose texts are all the same prints that text without brackets). Empty → ''.
 */
export function goAggregate(errs: readonly string[]): string {
  if (errs.length === 0) return '';
  if (errs.length === 1) return errs[0]!;
  const seen: string[] = [];
  for (const e of errs) if (!seen.includes(e)) seen.push(e);
  return seen.length === 1 ? seen[0]! : `[${seen.join(', ')}]`;
}

/**
 * The error KillPod returns (killPodWithSyncResult → PodSyncResult.Error()): the failed
 * KillContainer results in the order the kills finished, then the KillPodSandbox result
 * (the last StopPodSandbox failure, NotFound ignored). '' when nothing failed.
 * FailedKillPod's message is failedKillPodMessage(killPodErrorText(...)).
 */
export function killPodErrorText(
  containers: readonly { container: string; error: string }[],
  sandbox?: { podUid: string; error: string },
): string {
  const errs = containers.map((f) => killContainerSyncError(f.container, f.error));
  if (sandbox) errs.push(killPodSandboxSyncError(sandbox.podUid, sandbox.error));
  return goAggregate(errs);
}
/** pkg/kubelet/active_deadline.go: the reason and message of an active-deadline eviction. */
export const EvictionReason = { DeadlineExceeded: 'DeadlineExceeded' } as const;
export const MSG_ACTIVE_DEADLINE_EXCEEDED = 'Pod was active on the node longer than the specified deadline';
export const MSG_EXCEEDED_GRACE_PERIOD = 'Container runtime did not kill the pod within specified grace period.';
export const failedSyncMessage = (err: string): string => `error determining status: ${err}`;
export const networkNotReadyMessage = (detail: string): string => `network is not ready: ${detail}`;

// ---------------------------------------------------------------------------
// Condition messages.

/** `containers with incomplete status: [a b]`. */
export const incompleteStatusMessage = (names: readonly string[]): string =>
  `containers with incomplete status: ${goStringSlice(names)}`;
/** `containers with unready status: [c]`. */
export const unreadyStatusMessage = (names: readonly string[]): string =>
  `containers with unready status: ${goStringSlice(names)}`;
/** `containers with unknown status: [c]`. */
export const unknownStatusMessage = (names: readonly string[]): string =>
  `containers with unknown status: ${goStringSlice(names)}`;
