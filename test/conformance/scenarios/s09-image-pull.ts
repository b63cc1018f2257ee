// Facts sheet §9: image pull (EnsureImageExists) — pull policies and their
// defaults, already-present, ErrImageNeverPull, pull failure and the image
// back-off, ImageStatus errors, invalid references.
//
// Pins (kubernetes/kubernetes pkg/kubelet/images/image_manager.go, read at the
// 1.33/1.34-era copy with imagePullPrecheck, imagePullManager and
// prevPullErrMsg; pkg/kubelet/images/puller.go; pkg/util/parsers/parsers.go;
// release-1.34 semantics, KubeletEnsureSecretPulledImages off):
// - applyDefaultImageTag failure: Warning InspectFailed `Failed to apply default
//   image tag %q: %v` (parsers: `couldn't parse image name %q: %v`), ErrInvalidImageName.
// - imagePullPrecheck: Always → no ImageStatus, pull; IfNotPresent/Never →
//   GetImageRef (ImageStatus); its error → `Failed to inspect image %q: %v`
//   formatted with the (empty) imageRef — the source prints `""`, not the
//   image — and ErrImageInspect; Never + absent → Warning ErrImageNeverPull
//   `Container image %q is not present with pull policy of Never`.
// - present → Normal Pulled `Container image %q already present on machine`.
// - pullImage: IsInBackOffSinceUpdate(podUID_image) → Normal BackOff `Back-off
//   pulling image %q`, waiting message `<that>: <prevPullErrMsg>` where
//   prevPullErrMsg = `<err>: <msg>` = `ErrImagePull: rpc error: …` (1.32,
//   #127918); else Pulling, PullImage (image with the default tag applied), on
//   failure Warning Failed `Failed to pull image %q: %v`, backOff.Next; on
//   success Pulled `Successfully pulled image %q in %v (%v including waiting).
//   Image size: %v bytes.` (puller: GetImageSize → ImageStatus).
// - startContainer: `Error: <s.Message()>` of the returned error.
// - generateContainerConfig → getImageUser: ImageStatus again before CreateContainer.
// - API defaulting (pkg/apis/core/v1/defaults.go): imagePullPolicy Always for
//   `:latest` or no tag, else IfNotPresent (a digest counts as no tag → IfNotPresent).
// - Retries: nothing changes in the runtime after these failures, so the next
//   attempt is the pod worker's 10–15 s retry (pod_workers.go) unless a PLEG
//   event of another container wakes the worker first.
import { makePod, type Scenario } from '../runner.js';
import { action, call, count, event, exitCode, exited, never, noPod, phaseOf, podLine, seq, somePod, stateOf } from '../dsl.js';
import { ctr, fp, IMAGE, re } from './common.js';
import { isWaiting, RETRY_MS, withStartup } from './helpers.js';

/** Go's Duration.String() of a millisecond-truncated duration: `0s`, `12ms`, `1.204s`. */
const DUR = '\\d+(\\.\\d+)?(ms|s)';
const pulledRe = (image: string) => new RegExp(`^Successfully pulled image "${re(image)}" in ${DUR} \\(${DUR} including waiting\\)\\. Image size: 1048576 bytes\\.$`);

// ------------------------------------------------------------------ s09a

const a = makePod('image-if-not-present', { containers: [ctr('app')] });

export const ifNotPresent: Scenario = {
  name: 's09a IfNotPresent with the image present: ImageStatus, no PullImage, `Container image "busybox:1.36" already present on machine` before every start',
  pins: 'pkg/kubelet/images/image_manager.go EnsureImageExists + imagePullPrecheck; release-1.34',
  summary: 'ImageStatus before CreateContainer app#0; Pulled already-present before app#0 and again before app#1; never Pulling/PullImage',
  pod: a.pod,
  fake: {
    containers: [
      { name: 'app', attempt: 0, runMs: 500, exitCode: 1 },
      { name: 'app', sigtermDelayMs: 100, sigtermExitCode: 0 },
    ],
  },
  actions: [{ label: 'stop', when: call('StartContainer', { name: 'app', attempt: 1, error: false }), delayMs: 1500, do: { signal: 'SIGTERM' } }],
  deadlineMs: withStartup(7_000),
  expect: [
    seq(
      call('ImageStatus', { image: IMAGE }),
      event({ type: 'Normal', reason: 'Pulled', fieldPath: fp('app'), message: `Container image "${IMAGE}" already present on machine` }),
      call('CreateContainer', { name: 'app', attempt: 0 }),
      exited('app', 0, 1),
      event({ type: 'Normal', reason: 'Pulled', fieldPath: fp('app'), message: `Container image "${IMAGE}" already present on machine` }),
      call('CreateContainer', { name: 'app', attempt: 1 }),
    ),
    never(call('PullImage')),
    never(event({ reason: 'Pulling' })),
    exitCode(0),
  ],
};

// ------------------------------------------------------------------ s09b

const DIGEST = 'busybox@sha256:3fbc632167424a6d997e74f52b878d7cc478225cffac6bc977eedfe51c7f4e79';
const b = makePod('image-always', {
  containers: [
    ctr('untagged', { image: 'busybox' }),
    ctr('latest', { image: 'busybox:latest' }),
    ctr('always', { image: IMAGE, imagePullPolicy: 'Always' }),
    ctr('digest', { image: DIGEST }),
  ],
});

export const alwaysPulls: Scenario = {
  name: 's09b Always (explicit, `:latest`, or no tag) pulls before every start; a digest defaults to IfNotPresent',
  pins: 'pkg/kubelet/images/image_manager.go EnsureImageExists + pullImage + applyDefaultImageTag; pkg/kubelet/images/puller.go (GetImageSize); pkg/apis/core/v1/defaults.go (imagePullPolicy); release-1.34',
  summary: 'Pulling `Pulling image "busybox"`, PullImage busybox:latest, Pulled `Successfully pulled … Image size: 1048576 bytes.`, ImageStatus, CreateContainer; same for :latest and explicit Always; digest: already present, no pull; untagged pulls again on its restart',
  pod: b.pod,
  fake: {
    containers: [
      { name: 'untagged', attempt: 0, runMs: 800, exitCode: 1 },
      { name: 'untagged', sigtermDelayMs: 100, sigtermExitCode: 0 },
      { name: 'latest', sigtermDelayMs: 100, sigtermExitCode: 0 },
      { name: 'always', sigtermDelayMs: 100, sigtermExitCode: 0 },
      { name: 'digest', sigtermDelayMs: 100, sigtermExitCode: 0 },
    ],
  },
  actions: [{ label: 'stop', when: call('StartContainer', { name: 'untagged', attempt: 1, error: false }), delayMs: 1500, do: { signal: 'SIGTERM' } }],
  deadlineMs: withStartup(8_000),
  expect: [
    seq(
      event({ type: 'Normal', reason: 'Pulling', fieldPath: fp('untagged'), message: 'Pulling image "busybox"' }),
      call('PullImage', { image: 'busybox:latest', error: false }),
      event({ type: 'Normal', reason: 'Pulled', fieldPath: fp('untagged'), message: pulledRe('busybox') }),
      call('CreateContainer', { name: 'untagged', attempt: 0 }),
    ),
    seq(call('PullImage', { image: 'busybox:latest', error: false }).as('pull0'), call('ImageStatus'), call('CreateContainer', { name: 'untagged', attempt: 0 })),
    // imagePullPrecheck: under Always there is no ImageStatus before the pull.
    never(call('ImageStatus'), { to: 'pull0' }),
    seq(
      event({ type: 'Normal', reason: 'Pulling', fieldPath: fp('latest'), message: 'Pulling image "busybox:latest"' }),
      call('PullImage', { image: 'busybox:latest', error: false }),
      event({ type: 'Normal', reason: 'Pulled', fieldPath: fp('latest'), message: pulledRe('busybox:latest') }),
      call('CreateContainer', { name: 'latest', attempt: 0 }),
    ),
    seq(
      event({ type: 'Normal', reason: 'Pulling', fieldPath: fp('always'), message: `Pulling image "${IMAGE}"` }),
      call('PullImage', { image: IMAGE, error: false }),
      event({ type: 'Normal', reason: 'Pulled', fieldPath: fp('always'), message: pulledRe(IMAGE) }),
      call('CreateContainer', { name: 'always', attempt: 0 }),
    ),
    seq(event({ type: 'Normal', reason: 'Pulled', fieldPath: fp('digest'), message: `Container image "${DIGEST}" already present on machine` }), call('CreateContainer', { name: 'digest', attempt: 0 })),
    never(call('PullImage', { image: DIGEST })),
    never(event({ reason: 'Pulling', fieldPath: fp('digest') })),
    seq(
      exited('untagged', 0, 1),
      event({ type: 'Normal', reason: 'Pulling', fieldPath: fp('untagged'), message: 'Pulling image "busybox"' }),
      call('PullImage', { image: 'busybox:latest', error: false }),
      call('CreateContainer', { name: 'untagged', attempt: 1 }),
    ),
    exitCode(0),
  ],
};

// ------------------------------------------------------------------ s09c

const ABSENT = 'registry.example/absent:1.0';
const NEVER_MSG = `Container image "${ABSENT}" is not present with pull policy of Never`;
const c = makePod('image-never-absent', { containers: [ctr('app', { image: ABSENT, imagePullPolicy: 'Never' }), ctr('side')] });

export const neverAbsent: Scenario = {
  name: 's09c Never with the image absent: ErrImageNeverPull, no pull, no back-off (retried at every sync); the other container runs, the pod stays Pending',
  pins: 'pkg/kubelet/images/image_manager.go imagePullPrecheck + imageNotPresentOnNeverPolicyError; kuberuntime_manager.go SyncPod (independent starts); pkg/kubelet/kubelet_pods.go getPhase (waiting > 0 → Pending); release-1.34',
  summary: 'Warning ErrImageNeverPull + Failed `Error: ErrImageNeverPull`; again at the sync side`s start triggers (≤ 3 s), again 10–16.5 s after that; never PullImage; waiting ErrImageNeverPull; every Pod line Pending',
  pod: c.pod,
  fake: { images: [{ ref: ABSENT, present: false }], containers: [{ name: 'side', sigtermDelayMs: 100, sigtermExitCode: 0 }] },
  // From the first status (statelet is up): n1 at once, n3 at most ~3 + 16.5 s later.
  actions: [{ label: 'stop', when: podLine('the first status', () => true), delayMs: 22_000, do: { signal: 'SIGTERM' } }],
  deadlineMs: withStartup(24_000),
  expect: [
    seq(
      event({ type: 'Warning', reason: 'ErrImageNeverPull', fieldPath: fp('app'), message: NEVER_MSG }).as('n1'),
      event({ type: 'Warning', reason: 'Failed', fieldPath: fp('app'), message: 'Error: ErrImageNeverPull' }),
      event({ type: 'Warning', reason: 'ErrImageNeverPull', fieldPath: fp('app'), message: NEVER_MSG }).within(0, 3000, 'n1').as('n2'),
      event({ type: 'Warning', reason: 'ErrImageNeverPull', fieldPath: fp('app'), message: NEVER_MSG }).within(...RETRY_MS, 'n2'),
    ),
    seq(call('CreateContainer', { name: 'side', error: false }), call('StartContainer', { name: 'side', error: false })),
    never(call('PullImage')),
    never(call('CreateContainer', { name: 'app' })),
    never(event({ reason: 'BackOff' })),
    somePod(`app waiting ErrImageNeverPull "${NEVER_MSG}" while side runs, phase Pending`, (p) => isWaiting(p, 'app', 'ErrImageNeverPull', NEVER_MSG) && stateOf(p, 'side') === 'running' && phaseOf(p) === 'Pending'),
    noPod('phase Running (a waiting container without history keeps the pod Pending)', (p) => phaseOf(p) === 'Running', { to: 'stop' }),
    exitCode(0),
  ],
};

// ------------------------------------------------------------------ s09d

const MISSING = 'registry.example/missing:2.0';
const PULL_MSG = `failed to resolve reference "${MISSING}": ${MISSING}: not found`;
const GO_ERR = `rpc error: code = NotFound desc = ${PULL_MSG}`;
const d = makePod('image-pull-backoff', { containers: [ctr('app', { image: MISSING })] });

export const pullBackOff: Scenario = {
  name: 's09d pull failure: ErrImagePull; retried 10–15 s later; the sync after that is in the 20 s image back-off: BackOff `Back-off pulling image "x"`, waiting message with the cause',
  pins: 'pkg/kubelet/images/image_manager.go pullImage (IsInBackOffSinceUpdate, prevPullErrMsg #127918) + evalCRIPullErr; flowcontrol.Backoff (10 s initial, x2); pkg/kubelet/pod_workers.go completeWork; release-1.34',
  summary: 'PullImage NOT_FOUND; PullImage again 10–16.5 s later (fails: back-off 20 s); then Normal BackOff + Failed `Error: ImagePullBackOff` without a PullImage; next PullImage 20–32 s after the second; waiting ImagePullBackOff `Back-off pulling image "x": ErrImagePull: rpc error: …`',
  pod: d.pod,
  fake: { images: [{ ref: MISSING, present: false, pullError: { code: 'NOT_FOUND', message: PULL_MSG } }] },
  actions: [
    {
      label: 'stop',
      when: event({ reason: 'BackOff', message: `Back-off pulling image "${MISSING}"` }),
      delayMs: 17_000,
      do: { signal: 'SIGTERM' },
    },
  ],
  deadlineMs: withStartup(53_000),
  expect: [
    seq(
      event({ type: 'Normal', reason: 'Pulling', fieldPath: fp('app'), message: `Pulling image "${MISSING}"` }),
      call('PullImage', { image: MISSING, error: 'NOT_FOUND' }).as('p1'),
      event({ type: 'Warning', reason: 'Failed', fieldPath: fp('app'), message: `Failed to pull image "${MISSING}": ${GO_ERR}` }),
      event({ type: 'Warning', reason: 'Failed', fieldPath: fp('app'), message: 'Error: ErrImagePull' }),
      call('PullImage', { image: MISSING, error: 'NOT_FOUND' }).within(...RETRY_MS, 'p1.end').any().as('p2'),
      event({ type: 'Normal', reason: 'BackOff', fieldPath: fp('app'), message: `Back-off pulling image "${MISSING}"` }).within(...RETRY_MS, 'p2.end').as('bo'),
      event({ type: 'Warning', reason: 'Failed', fieldPath: fp('app'), message: 'Error: ImagePullBackOff' }),
      call('PullImage', { image: MISSING }).within(19_950, 32_000, 'p2.end').any().as('p3'),
    ),
    count(call('PullImage'), { eq: 1 }, { from: 'p2.end', to: 'p3' }),
    noPod('app waiting ImagePullBackOff before the second pull', (p) => stateOf(p, 'app') === 'waiting:ImagePullBackOff', { to: 'p2' }),
    somePod(`app waiting ErrImagePull "${GO_ERR}"`, (p) => isWaiting(p, 'app', 'ErrImagePull', GO_ERR)),
    somePod(
      `app waiting ImagePullBackOff "Back-off pulling image \\"${MISSING}\\": ErrImagePull: ${GO_ERR}"`,
      (p) => isWaiting(p, 'app', 'ImagePullBackOff', `Back-off pulling image "${MISSING}": ErrImagePull: ${GO_ERR}`),
    ),
    never(call('CreateContainer')),
    exitCode(0),
  ],
};

// ------------------------------------------------------------------ s09e

const INSPECT_MSG = 'image store unavailable: connection reset by peer';
const INSPECT = `Failed to inspect image "": rpc error: code = Unknown desc = ${INSPECT_MSG}`;
const e = makePod('image-inspect-error', { containers: [ctr('app')] });

export const inspectError: Scenario = {
  name: 's09e ImageStatus error: InspectFailed `Failed to inspect image "": rpc error: …` (the source formats the empty imageRef), ImageInspectError, retried 10–15 s later',
  pins: 'pkg/kubelet/images/image_manager.go imagePullPrecheck (`fmt.Sprintf("Failed to inspect image %q: %v", imageRef, err)`, ErrImageInspect); pkg/kubelet/kuberuntime/kuberuntime_image.go GetImageRef; release-1.34',
  summary: 'ImageStatus UNKNOWN, Warning InspectFailed + Failed `Error: ImageInspectError`, waiting ImageInspectError with that message; no PullImage; CreateContainer 10–16.5 s later',
  pod: e.pod,
  fake: {
    containers: [{ name: 'app', sigtermDelayMs: 100, sigtermExitCode: 0 }],
    faults: [{ method: 'ImageStatus', image: IMAGE, nth: 1, code: 'UNKNOWN', message: INSPECT_MSG }],
  },
  actions: [{ label: 'stop', when: call('StartContainer', { name: 'app', error: false }), delayMs: 1500, do: { signal: 'SIGTERM' } }],
  deadlineMs: withStartup(21_000),
  expect: [
    seq(
      call('ImageStatus', { image: IMAGE, error: 'UNKNOWN' }).as('is'),
      event({ type: 'Warning', reason: 'InspectFailed', fieldPath: fp('app'), message: INSPECT }),
      event({ type: 'Warning', reason: 'Failed', fieldPath: fp('app'), message: 'Error: ImageInspectError' }),
      call('CreateContainer', { name: 'app', attempt: 0 }).within(...RETRY_MS, 'is.end'),
    ),
    never(call('PullImage')),
    somePod(`app waiting ImageInspectError "${INSPECT}"`, (p) => isWaiting(p, 'app', 'ImageInspectError', INSPECT)),
    exitCode(0),
  ],
};

// ------------------------------------------------------------------ s09f

const BAD = 'busybox:1.36:extra';
const INVALID = `Failed to apply default image tag "${BAD}": couldn't parse image name "${BAD}": invalid reference format`;
const f = makePod('image-invalid-name', { containers: [ctr('app', { image: BAD })] });

export const invalidName: Scenario = {
  name: 's09f an unparsable image reference: InspectFailed `Failed to apply default image tag …`, InvalidImageName, no CRI image call, retried 10–15 s later',
  pins: 'pkg/kubelet/images/image_manager.go EnsureImageExists + applyDefaultImageTag (ErrInvalidImageName); pkg/util/parsers/parsers.go ParseImageName; github.com/distribution/reference ParseNormalizedNamed (ErrReferenceInvalidFormat); release-1.34',
  summary: `Warning InspectFailed "${INVALID}", Failed \`Error: InvalidImageName\`, again 10–16.5 s later; waiting InvalidImageName; never ImageStatus/PullImage for it, never CreateContainer`,
  pod: f.pod,
  actions: [{ label: 'stop', when: podLine('the first status', () => true), delayMs: 20_000, do: { signal: 'SIGTERM' } }],
  deadlineMs: withStartup(22_000),
  expect: [
    seq(
      event({ type: 'Warning', reason: 'InspectFailed', fieldPath: fp('app'), message: INVALID }).as('i1'),
      event({ type: 'Warning', reason: 'Failed', fieldPath: fp('app'), message: 'Error: InvalidImageName' }),
      event({ type: 'Warning', reason: 'InspectFailed', fieldPath: fp('app'), message: INVALID }).within(...RETRY_MS, 'i1'),
    ),
    never(call('ImageStatus', { image: BAD })),
    never(call('PullImage')),
    never(call('CreateContainer')),
    somePod(`app waiting InvalidImageName "${INVALID}"`, (p) => isWaiting(p, 'app', 'InvalidImageName', INVALID)),
    seq(action('stop')),
    exitCode(0),
  ],
};

export default [ifNotPresent, alwaysPulls, neverAbsent, pullBackOff, inspectError, invalidName];
