import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as M from '../../src/k8s/messages.js';

const P = 'web_default(1234)';

describe('container lifecycle messages (1.34)', () => {
  test('Created / Started / Error', () => {
    assert.equal(M.createdMessage('app'), 'Created container: app');
    assert.equal(M.startedMessage('app'), 'Started container app');
    assert.equal(M.errorMessage('ErrImagePull'), 'Error: ErrImagePull');
  });
  test('Killing messages', () => {
    assert.equal(M.stoppingContainerMessage('app'), 'Stopping container app');
    assert.equal(M.livenessKillMessage('app', true), 'Container app failed liveness probe, will be restarted');
    assert.equal(M.livenessKillMessage('app', false), 'Container app failed liveness probe');
    assert.equal(M.startupKillMessage('app', true), 'Container app failed startup probe, will be restarted');
    assert.equal(M.definitionChangedKillMessage('app', true), 'Container app definition changed, will be restarted');
    assert.equal(M.MSG_KILL_UNKNOWN_STATE, 'Container is in "unknown" state, try killing it before restart');
    assert.equal(M.MSG_KILL_FAILED_POST_START, 'FailedPostStartHook');
    assert.equal(M.initLivenessKillMessage('side'), 'Init container side failed liveness probe');
    assert.equal(M.initStartupKillMessage('side'), 'Init container side failed startup probe');
    assert.equal(M.initDefinitionChangedKillMessage('side'), 'Init container side definition changed');
    assert.equal(M.MSG_INIT_KILL_UNKNOWN_STATE, 'Init container is in "unknown" state, try killing it before restart');
  });
  test('BackOff event and CrashLoopBackOff waiting message', () => {
    assert.equal(M.backOffRestartMessage('app', P), `Back-off restarting failed container app in pod ${P}`);
    assert.equal(M.crashLoopBackOffMessage(10_000, 'app', P), `back-off 10s restarting failed container=app pod=${P}`);
    assert.equal(M.crashLoopBackOffMessage(80_000, 'app', P), `back-off 1m20s restarting failed container=app pod=${P}`);
    assert.equal(M.crashLoopBackOffMessage(300_000, 'app', P), `back-off 5m0s restarting failed container=app pod=${P}`);
  });
  test('hook events', () => {
    assert.equal(M.MSG_POST_START_HOOK_FAILED, 'PostStartHook failed');
    assert.equal(M.MSG_PRE_STOP_HOOK_FAILED, 'PreStopHook failed');
  });
});

describe('image messages', () => {
  test('pull events', () => {
    assert.equal(M.pullingMessage('busybox:1.36'), 'Pulling image "busybox:1.36"');
    assert.equal(
      M.pulledMessage('busybox:1.36', 1234.9, 1500, 4_321),
      'Successfully pulled image "busybox:1.36" in 1.234s (1.5s including waiting). Image size: 4321 bytes.',
    );
    assert.equal(M.pulledShortMessage('busybox', 800), 'Successfully pulled image "busybox" in 800ms');
    assert.equal(M.alreadyPresentMessage('busybox:1.36'), 'Container image "busybox:1.36" already present on machine');
    assert.equal(M.failedToPullMessage('nope:1', 'rpc error: not found'), 'Failed to pull image "nope:1": rpc error: not found');
    assert.equal(M.backOffPullImageMessage('nope:1'), 'Back-off pulling image "nope:1"');
    assert.equal(
      M.backOffPullImageMessage('nope:1', { reason: 'RegistryUnavailable', message: 'dial tcp: refused' }),
      'Back-off pulling image "nope:1": RegistryUnavailable: dial tcp: refused',
    );
    assert.equal(M.neverPullMessage('local:1'), 'Container image "local:1" is not present with pull policy of Never');
    assert.equal(M.inspectFailedMessage('x', 'boom'), 'Failed to inspect image "x": boom');
    assert.equal(M.invalidImageNameMessage('X', 'bad'), 'Failed to apply default image tag "X": bad');
  });
  test('reasons', () => {
    assert.equal(M.WaitingReason.ErrImagePull, 'ErrImagePull');
    assert.equal(M.WaitingReason.ImagePullBackOff, 'ImagePullBackOff');
    assert.equal(M.WaitingReason.ErrImageNeverPull, 'ErrImageNeverPull');
    assert.equal(M.EventReason.ErrImageNeverPull, 'ErrImageNeverPull');
    assert.equal(M.EventReason.Pulled, 'Pulled');
    assert.equal(M.EventReason.BackOff, 'BackOff');
  });
});

describe('lifecycle hook messages (§4)', () => {
  test('exec error and failure message quote like Go %q / %v', () => {
    const err = M.execExitError(['sh', '-c', 'echo out; echo err >&2; exit 3'], 3, 'err\n');
    assert.equal(err, "command 'sh -c echo out; echo err >&2; exit 3' exited with 3: err\n");
    assert.equal(
      M.execHookFailedMessage(['sh', '-c', 'exit 3'], 'app', P, 'command \'sh -c exit 3\' exited with 3: ', 'out\nerr\n'),
      `Exec lifecycle hook ([sh -c exit 3]) for Container "app" in Pod "${P}" failed - error: command 'sh -c exit 3' exited with 3: , message: "out\\nerr\\n"`,
    );
  });
  test('http and sleep failure messages', () => {
    assert.equal(
      M.httpHookFailedMessage('/hook', 'app', P, 'Get "http://10.0.0.5:8080/hook": dial tcp 10.0.0.5:8080: connect: connection refused'),
      `HTTP lifecycle hook (/hook) for Container "app" in Pod "${P}" failed - error: Get "http://10.0.0.5:8080/hook": dial tcp 10.0.0.5:8080: connect: connection refused`,
    );
    assert.equal(
      M.sleepHookFailedMessage(5, 'app', P, M.ERR_SLEEP_HOOK_CANCELLED),
      `Sleep lifecycle hook (5) for Container "app" in Pod "${P}" failed - error: container terminated before sleep hook finished`,
    );
  });
  test('tcpSocket hook → Cannot run handler: invalid handler', () => {
    assert.equal(
      M.cannotRunHandlerMessage({ tcpSocket: { port: 8080 } }),
      'Cannot run handler: invalid handler: &LifecycleHandler{Exec:nil,HTTPGet:nil,TCPSocket:&TCPSocketAction{Port:{0 8080 },Host:,},Sleep:nil,}',
    );
    assert.equal(
      M.invalidHandlerError({ tcpSocket: { port: 'http', host: 'h' } }),
      'invalid handler: &LifecycleHandler{Exec:nil,HTTPGet:nil,TCPSocket:&TCPSocketAction{Port:{1 0 http},Host:h,},Sleep:nil,}',
    );
  });
  test('misc', () => {
    assert.equal(M.invalidPortNumber(70000), 'invalid port number: 70000');
    assert.equal(M.failedToFindNetworkingContainer('no ip'), 'failed to find networking container: no ip');
    assert.equal(
      M.lifecycleHTTPFallbackMessage('10.0.0.5:8443'),
      'request to HTTPS lifecycle hook 10.0.0.5:8443 got HTTP response, retry with HTTP succeeded',
    );
  });
  test('goQuote escapes', () => {
    assert.equal(M.goQuote('a"b\\c\td\x01'), '"a\\"b\\\\c\\td\\x01"');
    assert.equal(M.goQuote('héllo'), '"héllo"');
  });
});

describe('probe and pod-level messages', () => {
  test('Unhealthy / ProbeWarning', () => {
    assert.equal(M.probeFailedMessage('liveness', 'HTTP probe failed with statuscode: 500'), 'Liveness probe failed: HTTP probe failed with statuscode: 500');
    assert.equal(M.httpProbeStatusFailure(503), 'HTTP probe failed with statuscode: 503');
    assert.equal(M.probeFailedMessage('readiness', 'x'), 'Readiness probe failed: x');
    assert.equal(M.probeFailedMessage('startup', 'x'), 'Startup probe failed: x');
    assert.equal(M.probeErroredMessage('liveness', 'unknown', 'boom'), 'Liveness probe errored and resulted in unknown state: boom');
    assert.equal(M.probeWarningMessage('readiness', 'redirect'), 'Readiness probe warning: redirect');
    assert.equal(M.EventReason.Unhealthy, 'Unhealthy');
  });
  test('pod-level', () => {
    assert.equal(M.MSG_SANDBOX_CHANGED, 'Pod sandbox changed, it will be killed and re-created.');
    assert.equal(M.failedCreateSandboxMessage('boom'), 'Failed to create pod sandbox: boom');
    assert.equal(M.failedKillPodMessage('x'), 'error killing pod: x');
    assert.equal(M.failedSandboxStatusMessage('x'), 'Unable to get pod sandbox status: x');
    assert.equal(M.MSG_EXCEEDED_GRACE_PERIOD, 'Container runtime did not kill the pod within specified grace period.');
    assert.equal(M.EventReason.FailedCreatePodSandBox, 'FailedCreatePodSandBox');
  });
  test('status unknown messages', () => {
    assert.equal(M.MSG_CONTAINER_VANISHED_ON_DELETE.includes('deleted.  The'), true);
    assert.equal(M.CONTAINER_STATUS_UNKNOWN_EXIT_CODE, 137);
  });
  test('condition messages', () => {
    assert.equal(M.incompleteStatusMessage(['a', 'b']), 'containers with incomplete status: [a b]');
    assert.equal(M.unreadyStatusMessage(['c']), 'containers with unready status: [c]');
  });
});
