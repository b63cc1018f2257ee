// CRI errors in the kubelet's messages (kubelet 1.34): `%v` of a gRPC status error is
// Go's `rpc error: code = <Code> desc = <msg>`, s.Message() is the bare message, a
// deadline the client enforces reads `context deadline exceeded`, cri-client's
// PullImage strips an Unknown code, and KillPod's error is a utilerrors aggregate of
// PodSyncResult lines. The deadline and cancellation cases run real grpc-js calls
// against a server on a unix socket that never answers.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import {
  CriAbortedError,
  CriClient,
  CriDeadlineExceededError,
  CriError,
  CriNotFoundError,
  goCodeName,
  goPullErrorString,
  goStatusString,
  loadCriProto,
  toCriError,
} from '../../src/cri/index.js';
import { errorInfo } from '../../machines/types.js';
import * as M from '../../src/k8s/messages.js';

describe('Go status text', () => {
  test("every codes.Code has Go's String() name (Canceled with one l); unknown numbers print Code(n)", () => {
    const names = [
      'OK', 'Canceled', 'Unknown', 'InvalidArgument', 'DeadlineExceeded', 'NotFound', 'AlreadyExists', 'PermissionDenied',
      'ResourceExhausted', 'FailedPrecondition', 'Aborted', 'OutOfRange', 'Unimplemented', 'Internal', 'Unavailable',
      'DataLoss', 'Unauthenticated',
    ];
    assert.deepEqual(names.map((_, i) => goCodeName(i)), names);
    assert.equal(goCodeName(grpc.status.CANCELLED), 'Canceled');
    assert.equal(goCodeName(17), 'Code(17)');
  });

  test('status.Error(...).Error(): rpc error: code = <Code> desc = <msg>', () => {
    assert.equal(goStatusString(5, 'container "abc" not found'), 'rpc error: code = NotFound desc = container "abc" not found');
    assert.equal(goStatusString(2, ''), 'rpc error: code = Unknown desc = ');
  });

  test("cri-client PullImage: an Unknown status becomes its bare message, other codes keep Go's form", () => {
    assert.equal(goPullErrorString(2, 'failed to pull and unpack image "x": 401 Unauthorized'), 'failed to pull and unpack image "x": 401 Unauthorized');
    assert.equal(goPullErrorString(5, 'failed to resolve reference "x": not found'), 'rpc error: code = NotFound desc = failed to resolve reference "x": not found');
  });

  test('CriError: details is s.Message(), goString is %v, goPullString the pull form; message keeps naming the call', () => {
    const nf = toCriError('RuntimeService/StopContainer', 'unix:///run/x.sock', { code: grpc.status.NOT_FOUND, details: 'container "c1" not found' });
    assert.ok(nf instanceof CriNotFoundError);
    assert.equal(nf.details, 'container "c1" not found');
    assert.equal(nf.goString, 'rpc error: code = NotFound desc = container "c1" not found');
    assert.equal(nf.goPullString, nf.goString);
    assert.equal(nf.message, 'CRI RuntimeService/StopContainer on unix:///run/x.sock failed: NOT_FOUND: container "c1" not found');
    const unk = toCriError('ImageService/PullImage', 'e', { code: grpc.status.UNKNOWN, details: 'boom' });
    assert.equal(unk.goString, 'rpc error: code = Unknown desc = boom');
    assert.equal(unk.goPullString, 'boom');
  });

  test("grpc-js's own deadline text becomes Go's `context deadline exceeded`; a runtime's DEADLINE_EXCEEDED text is kept", () => {
    for (const details of ['Deadline exceeded', 'Deadline exceeded after 0.201s,remote_addr=unix:///run/x.sock', 'Deadline exceeded after 1.002s,LB pick: 0.001s']) {
      const e = toCriError('RuntimeService/Version', 'e', { code: grpc.status.DEADLINE_EXCEEDED, details });
      assert.ok(e instanceof CriDeadlineExceededError);
      assert.equal(e.details, 'context deadline exceeded');
      assert.equal(e.goString, 'rpc error: code = DeadlineExceeded desc = context deadline exceeded');
    }
    const fromRuntime = toCriError('RuntimeService/StopContainer', 'e', { code: grpc.status.DEADLINE_EXCEEDED, details: 'failed to stop container: context deadline exceeded' });
    assert.equal(fromRuntime.details, 'failed to stop container: context deadline exceeded');
    // Another code with similar words is not touched.
    assert.equal(toCriError('m', 'e', { code: grpc.status.UNKNOWN, details: 'Deadline exceeded' }).details, 'Deadline exceeded');
  });

  test('a call cancelled by its caller reads as a cancelled Go context', () => {
    const e = toCriError('RuntimeService/Version', 'e', { code: grpc.status.CANCELLED, details: 'Cancelled on client' }, true);
    assert.ok(e instanceof CriAbortedError);
    assert.equal(e.goString, 'rpc error: code = Canceled desc = context canceled');
  });
});

describe('errorInfo', () => {
  test('a CRI error: details (s.Message()), grpc (%v), pullError, Go code name and method; old fields unchanged', () => {
    const e = toCriError('RuntimeService/RunPodSandbox', 'e', { code: grpc.status.UNKNOWN, details: 'failed to setup network for sandbox' });
    const info = errorInfo(e);
    assert.equal(info.message, e.message);
    assert.equal(info.details, 'failed to setup network for sandbox');
    assert.equal(info.grpc, 'rpc error: code = Unknown desc = failed to setup network for sandbox');
    assert.equal(info.pullError, 'failed to setup network for sandbox');
    assert.equal(info.code, 'Unknown');
    assert.equal(info.method, 'RuntimeService/RunPodSandbox');
    assert.equal(info.notFound, false);
    assert.equal(errorInfo(toCriError('m', 'e', { code: 5, details: 'x' })).notFound, true);
  });

  test('a CRI error that lost its prototype (a restored snapshot) still yields the Go form from code + details', () => {
    const e = toCriError('RuntimeService/StopContainer', 'e', { code: grpc.status.INTERNAL, details: 'oops' });
    const plain = JSON.parse(JSON.stringify({ ...e, message: e.message, name: e.name }));
    assert.equal(plain.goString, undefined);
    const info = errorInfo(plain);
    assert.equal(info.grpc, 'rpc error: code = Internal desc = oops');
    assert.equal(info.code, 'Internal');
  });

  test('errors that did not come from the runtime have no grpc form', () => {
    const info = errorInfo(Object.assign(new Error('container has runAsNonRoot and image will run as root'), { name: 'CreateContainerConfigError' }));
    assert.equal(info.grpc, undefined);
    assert.equal(info.pullError, undefined);
    assert.equal(info.details, undefined);
    assert.equal(info.message, 'container has runAsNonRoot and image will run as root');
    assert.deepEqual(errorInfo('plain'), { message: 'plain' });
  });
});

describe('messages built from CRI errors', () => {
  const notFound = toCriError('ImageService/PullImage', 'e', {
    code: grpc.status.NOT_FOUND,
    details: 'failed to pull and unpack image "docker.io/library/nope:latest": failed to resolve reference "docker.io/library/nope:latest": docker.io/library/nope:latest: not found',
  });
  const unknown = toCriError('ImageService/PullImage', 'e', { code: grpc.status.UNKNOWN, details: 'failed to pull and unpack image "docker.io/library/x:1": 401 Unauthorized' });

  test('Failed to pull image "<img>": <%v of the PullImage error>, and ErrImagePull shows that text alone', () => {
    const nf = errorInfo(notFound).pullError!;
    assert.equal(
      M.failedToPullMessage('nope', nf),
      'Failed to pull image "nope": rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/library/nope:latest": failed to resolve reference "docker.io/library/nope:latest": docker.io/library/nope:latest: not found',
    );
    assert.deepEqual(M.pullErrorResult('nope', nf), { reason: 'ErrImagePull', message: nf });
    const un = errorInfo(unknown).pullError!;
    assert.equal(M.failedToPullMessage('x:1', un), 'Failed to pull image "x:1": failed to pull and unpack image "docker.io/library/x:1": 401 Unauthorized');
    assert.deepEqual(M.pullErrorResult('x:1', un), { reason: 'ErrImagePull', message: 'failed to pull and unpack image "docker.io/library/x:1": 401 Unauthorized' });
  });

  test('evalCRIPullErr: RegistryUnavailable / SignatureValidationFailed prefixes (Unknown code, stripped)', () => {
    const ru = errorInfo(toCriError('ImageService/PullImage', 'e', { code: 2, details: 'RegistryUnavailable: dial tcp 10.0.0.1:443: i/o timeout' })).pullError!;
    assert.deepEqual(M.pullErrorResult('reg.example/app:1', ru), {
      reason: 'RegistryUnavailable',
      message: 'image pull failed for reg.example/app:1 because the registry is unavailable: dial tcp 10.0.0.1:443: i/o timeout',
    });
    const sv = errorInfo(toCriError('ImageService/PullImage', 'e', { code: 2, details: 'SignatureValidationFailed: no valid signature' })).pullError!;
    assert.deepEqual(M.pullErrorResult('app:1', sv), {
      reason: 'SignatureValidationFailed',
      message: 'image pull failed for app:1 because the signature validation failed: no valid signature',
    });
    // With any other code the text starts with `rpc error:` and is plain ErrImagePull.
    const coded = errorInfo(toCriError('ImageService/PullImage', 'e', { code: 14, details: 'RegistryUnavailable: x' })).pullError!;
    assert.equal(M.pullErrorResult('app:1', coded).reason, 'ErrImagePull');
  });

  test('ImagePullBackOff waiting message carries the last failure as <reason>: <msg>; the BackOff event does not', () => {
    const last = M.pullErrorResult('nope', errorInfo(notFound).pullError!);
    assert.equal(
      M.backOffPullImageMessage('nope', last),
      `Back-off pulling image "nope": ErrImagePull: ${errorInfo(notFound).pullError}`,
    );
    assert.equal(M.backOffPullImageMessage('nope'), 'Back-off pulling image "nope"');
  });

  test('Failed to inspect image: %v of the ImageStatus error; 1.34 quotes the empty imageRef', () => {
    const e = errorInfo(toCriError('ImageService/ImageStatus', 'e', { code: grpc.status.UNAVAILABLE, details: 'connection refused' })).grpc!;
    assert.equal(M.inspectFailedMessage(M.INSPECT_FAILED_IMAGE_1_34, e), 'Failed to inspect image "": rpc error: code = Unavailable desc = connection refused');
    assert.equal(M.inspectFailedMessage('busybox', e), 'Failed to inspect image "busybox": rpc error: code = Unavailable desc = connection refused');
  });

  test('Failed to create pod sandbox / Unable to get pod sandbox status: %v', () => {
    const e = errorInfo(toCriError('RuntimeService/RunPodSandbox', 'e', { code: 2, details: 'failed to reserve sandbox name "web_default_1_0": name "web_default_1_0" is reserved for "abc"' })).grpc!;
    assert.equal(
      M.failedCreateSandboxMessage(e),
      'Failed to create pod sandbox: rpc error: code = Unknown desc = failed to reserve sandbox name "web_default_1_0": name "web_default_1_0" is reserved for "abc"',
    );
    const st = errorInfo(toCriError('RuntimeService/PodSandboxStatus', 'e', { code: 5, details: 'an error occurred when try to find sandbox "abc": not found' })).grpc!;
    assert.equal(M.failedSandboxStatusMessage(st), 'Unable to get pod sandbox status: rpc error: code = NotFound desc = an error occurred when try to find sandbox "abc": not found');
  });

  test('CreateContainer / StartContainer keep the bare s.Message() in `Error: <msg>`', () => {
    const e = errorInfo(toCriError('RuntimeService/StartContainer', 'e', { code: 2, details: 'failed to create containerd task: exec: "nope": executable file not found in $PATH' }));
    assert.equal(M.errorMessage(e.details!), 'Error: failed to create containerd task: exec: "nope": executable file not found in $PATH');
  });

  test('KillContainerError: failed to %q for %q with %w: %q, the message %q-quoted', () => {
    const e = errorInfo(toCriError('RuntimeService/StopContainer', 'e', { code: 2, details: 'failed to kill container "abc": permission denied' })).grpc!;
    assert.equal(
      M.killContainerSyncError('app', e),
      'failed to "KillContainer" for "app" with KillContainerError: "rpc error: code = Unknown desc = failed to kill container \\"abc\\": permission denied"',
    );
    assert.equal(
      M.killPodSandboxSyncError('1234-uid', 'rpc error: code = Unknown desc = x'),
      'failed to "KillPodSandbox" for "1234-uid" with KillPodSandboxError: "rpc error: code = Unknown desc = x"',
    );
  });

  test('utilerrors aggregate: nothing → "", one alone, two or more in [a, b], repeats once', () => {
    assert.equal(M.goAggregate([]), '');
    assert.equal(M.goAggregate(['a']), 'a');
    assert.equal(M.goAggregate(['a', 'b']), '[a, b]');
    assert.equal(M.goAggregate(['a', 'b', 'a', 'c']), '[a, b, c]');
    assert.equal(M.goAggregate(['a', 'a']), 'a');
  });

  test('FailedKillPod: error killing pod: <aggregate of the kill results>', () => {
    const boom = 'rpc error: code = Unknown desc = boom';
    assert.equal(
      M.failedKillPodMessage(M.killPodErrorText([{ container: 'app', error: boom }])),
      'error killing pod: failed to "KillContainer" for "app" with KillContainerError: "rpc error: code = Unknown desc = boom"',
    );
    assert.equal(
      M.failedKillPodMessage(M.killPodErrorText([{ container: 'app', error: boom }, { container: 'side', error: boom }])),
      'error killing pod: [failed to "KillContainer" for "app" with KillContainerError: "rpc error: code = Unknown desc = boom", failed to "KillContainer" for "side" with KillContainerError: "rpc error: code = Unknown desc = boom"]',
    );
    assert.equal(
      M.failedKillPodMessage(M.killPodErrorText([{ container: 'app', error: boom }], { podUid: 'u1', error: boom })),
      'error killing pod: [failed to "KillContainer" for "app" with KillContainerError: "rpc error: code = Unknown desc = boom", failed to "KillPodSandbox" for "u1" with KillPodSandboxError: "rpc error: code = Unknown desc = boom"]',
    );
    assert.equal(M.killPodErrorText([]), '');
  });
});

describe('real grpc-js calls', () => {
  let dir: string;
  let server: grpc.Server;
  let endpoint: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'statelet-grpc-errors-'));
    const { pkg } = loadCriProto();
    server = new grpc.Server();
    const never = () => {};
    server.addService(pkg.RuntimeService.service, {
      Version: never,
      RunPodSandbox: never,
      StopContainer: (_call: unknown, cb: grpc.sendUnaryData<unknown>) =>
        cb({ code: grpc.status.UNKNOWN, details: 'failed to kill container "abc": permission denied' }),
    });
    server.addService(pkg.ImageService.service, {
      PullImage: (_call: unknown, cb: grpc.sendUnaryData<unknown>) =>
        cb({ code: grpc.status.NOT_FOUND, details: 'failed to resolve reference "docker.io/library/nope:latest": not found' }),
    });
    const path = join(dir, 'hang.sock');
    await new Promise<void>((resolve, reject) =>
      server.bindAsync(`unix://${path}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())),
    );
    endpoint = `unix://${path}`;
  });
  after(() => {
    server.forceShutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a deadline the client enforces (runtime never answers): rpc error: code = DeadlineExceeded desc = context deadline exceeded', async () => {
    const client = new CriClient({ endpoint, runtimeRequestTimeoutMs: 150 });
    try {
      const err = await client.runPodSandbox({ config: { metadata: { name: 'web', namespace: 'default', uid: 'u1' } } }).then(
        () => assert.fail('RunPodSandbox should not succeed'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof CriDeadlineExceededError, String(err));
      assert.equal(err.details, 'context deadline exceeded');
      const info = errorInfo(err);
      assert.equal(info.grpc, 'rpc error: code = DeadlineExceeded desc = context deadline exceeded');
      assert.equal(M.failedCreateSandboxMessage(info.grpc!), 'Failed to create pod sandbox: rpc error: code = DeadlineExceeded desc = context deadline exceeded');
    } finally {
      client.close();
    }
  });

  test('the caller aborting: rpc error: code = Canceled desc = context canceled', async () => {
    const client = new CriClient({ endpoint });
    try {
      const ac = new AbortController();
      const p = client.version(undefined, { signal: ac.signal });
      setTimeout(() => ac.abort(), 50);
      const err = await p.then(() => assert.fail('Version should not succeed'), (e: unknown) => e);
      assert.ok(err instanceof CriAbortedError);
      assert.equal(errorInfo(err).grpc, 'rpc error: code = Canceled desc = context canceled');
    } finally {
      client.close();
    }
  });

  test("a runtime's own status: %v for KillContainerError, the pull form for PullImage", async () => {
    const client = new CriClient({ endpoint, runtimeRequestTimeoutMs: 2000 });
    try {
      const stop = await client.stopContainer({ containerId: 'abc', timeout: 2 }).then(() => assert.fail(), (e: unknown) => e);
      assert.ok(stop instanceof CriError);
      assert.equal(
        M.failedKillPodMessage(M.killPodErrorText([{ container: 'app', error: errorInfo(stop).grpc! }])),
        'error killing pod: failed to "KillContainer" for "app" with KillContainerError: "rpc error: code = Unknown desc = failed to kill container \\"abc\\": permission denied"',
      );
      const pull = await client.pullImage({ image: { image: 'nope' } }).then(() => assert.fail(), (e: unknown) => e);
      assert.equal(
        M.failedToPullMessage('nope', errorInfo(pull).pullError!),
        'Failed to pull image "nope": rpc error: code = NotFound desc = failed to resolve reference "docker.io/library/nope:latest": not found',
      );
    } finally {
      client.close();
    }
  });
});
