// Facts sheet §10: probes (prober/worker.go, prober.go, pkg/probe/*).
//
// Pins (kubernetes/kubernetes; pkg/kubelet/prober/worker.go doProbe,
// pkg/kubelet/prober/prober.go probe + runProbeWithRetries + runProbe,
// pkg/probe/exec/exec.go, pkg/probe/http/http.go DoHTTPProbe + RedirectChecker,
// pkg/probe/http/request.go (User-Agent kube-probe/<major>.<minor>, Accept */*),
// pkg/probe/util.go ResolveContainerPort, k8s.io/cri-client remote_runtime.go
// ExecSync (DeadlineExceeded → timeout error); 1.33/1.34-era copies,
// release-1.34 semantics):
// - initial results: readiness Failure, liveness Success, startup Unknown;
//   `time.Since(StartedAt) < initialDelaySeconds` → skip; startup runs only
//   until `started`, liveness/readiness only after; consecutive identical
//   results counted against failureThreshold/successThreshold; a liveness or
//   startup Failure puts the worker on hold until a new container ID.
// - prober.probe: an error (not a failure) → Warning Unhealthy `%s probe
//   errored and resulted in %s state: %s` and the worker throws the result
//   away; runProbeWithRetries repeats a probe that errored, up to 3 times;
//   Failure → Unhealthy `%s probe failed: %s` (exec: combined stdout+stderr);
//   Warning (HTTP redirect to another host) → ProbeWarning `%s probe warning:
//   %s`, counted as Success.
// - exec: ExecSync(cmd, timeout = timeoutSeconds); the command is expanded
//   with $(VAR) from the container env (ExpandContainerCommandOnlyStatic); a
//   DeadlineExceeded becomes `command "<cmd>" timed out` (Failure).
// - HTTP: 200–399 success (3xx to another host: warning); else `HTTP probe
//   failed with statuscode: <n>`; transport errors are Failures with Go's
//   error text. TCP: a connection is success.
// - readiness failure never restarts: ready=false and the pod's Ready /
//   ContainersReady False `containers with unready status: [c]`
//   (pkg/kubelet/status/generate.go).
// - not pinned: gRPC probes — they dial the pod IP (no host field), and the
//   fake runtime's sandbox IPs are not routable from this machine.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { makePod, type Scenario } from '../runner.js';
import { call, count, custom, event, exitCode, never, seq, somePod } from '../dsl.js';
import { ctr, fp } from './common.js';
import { condIs, IMMEDIATE_MS, podsSpan, readyOf, startedOf, withStartup } from './helpers.js';

// ------------------------------------------------------------------ s10a

const CHECK = ['sh', '-c', 'check $(GREETING)'];
const CHECK_RUN = 'sh -c check hello';
const FAIL_OUT = { stdout: 'not ready\n', stderr: 'check failed\n' };
const a = makePod('probe-liveness-threshold', {
  containers: [
    ctr('app', {
      env: [{ name: 'GREETING', value: 'hello' }],
      livenessProbe: { exec: { command: CHECK }, initialDelaySeconds: 3, periodSeconds: 2, timeoutSeconds: 2, failureThreshold: 3 },
    }),
  ],
});

export const livenessThreshold: Scenario = {
  name: 's10a exec liveness: initial delay 3 s, every 2 s, kill only after 3 CONSECUTIVE failures (fail, fail, ok, fail, fail, fail); the killed instance is not probed again',
  pins: 'pkg/kubelet/prober/worker.go doProbe (initialDelaySeconds, resultRun, onHold); pkg/kubelet/prober/prober.go probe/runProbe (ExpandContainerCommandOnlyStatic, `%s probe failed: %s`); release-1.34',
  summary: 'ExecSync `sh -c check hello` timeout 2, first ≥ 3 s after the start; 5 Unhealthy `Liveness probe failed: not ready\\ncheck failed\\n`; Killing only after the 6th probe; attempt 1 probed again after its own initial delay, not killed',
  pod: a.pod,
  fake: {
    containers: [{ name: 'app', sigtermDelayMs: 100, sigtermExitCode: 143 }],
    exec: [
      { cmd: CHECK_RUN, attempt: 0, exitCode: 1, ...FAIL_OUT, times: 2 },
      { cmd: CHECK_RUN, attempt: 0, exitCode: 0, times: 1 },
      { cmd: CHECK_RUN, attempt: 0, exitCode: 1, ...FAIL_OUT },
      { cmd: CHECK_RUN, exitCode: 0 },
    ],
  },
  actions: [
    {
      label: 'stop',
      when: call('ExecSync', { name: 'app', attempt: 1, cmd: CHECK_RUN }),
      delayMs: 2500,
      do: { signal: 'SIGTERM' },
    },
  ],
  deadlineMs: withStartup(28_000),
  expect: [
    seq(
      call('StartContainer', { name: 'app', attempt: 0, error: false }).as('start0'),
      call('ExecSync', { name: 'app', attempt: 0, cmd: CHECK_RUN, timeout: 2 }).within(2950, 5500, 'start0.end').as('p1'),
      call('ExecSync', { name: 'app', attempt: 0, cmd: CHECK_RUN }).within(1500, 2600, 'p1'),
      call('ExecSync', { name: 'app', attempt: 0, cmd: CHECK_RUN }),
      call('ExecSync', { name: 'app', attempt: 0, cmd: CHECK_RUN }),
      call('ExecSync', { name: 'app', attempt: 0, cmd: CHECK_RUN }),
      call('ExecSync', { name: 'app', attempt: 0, cmd: CHECK_RUN }).as('p6'),
      event({ type: 'Normal', reason: 'Killing', fieldPath: fp('app'), message: 'Container app failed liveness probe, will be restarted' }).within(0, 2000, 'p6.end').as('kill'),
      call('StopContainer', { name: 'app', attempt: 0, timeout: 30 }),
      call('StartContainer', { name: 'app', attempt: 1, error: false }).as('start1'),
      call('ExecSync', { name: 'app', attempt: 1, cmd: CHECK_RUN }).within(2950, 5500, 'start1.end'),
    ),
    never(event({ reason: 'Killing' }), { to: 'p6' }),
    count(event({ type: 'Warning', reason: 'Unhealthy', fieldPath: fp('app'), message: 'Liveness probe failed: not ready\ncheck failed\n' }), { eq: 5 }, { to: 'kill' }),
    count(call('ExecSync', { name: 'app', attempt: 0 }), { eq: 1 }, { from: 'p6' }),
    never(call('StopContainer', { name: 'app', attempt: 1 }), { to: 'stop' }),
    exitCode(0),
  ],
};

// ------------------------------------------------------------------ s10b

const READY = ['sh', '-c', 'ready'];
const b = makePod('probe-readiness', {
  containers: [ctr('app', { readinessProbe: { exec: { command: READY }, periodSeconds: 2, successThreshold: 2, failureThreshold: 2 } })],
});
const UNREADY = 'containers with unready status: [app]';

const r = () => call('ExecSync', { name: 'app', cmd: READY.join(' ') });

export const readiness: Scenario = {
  name: 's10b readiness: not ready until 2 successes, not ready again after 2 failures (Ready/ContainersReady False `containers with unready status: [app]`), ready after 2 more successes; never a restart',
  pins: 'pkg/kubelet/prober/worker.go doProbe (initialValue Failure, successThreshold/failureThreshold); pkg/kubelet/prober/prober_manager.go UpdatePodStatus; pkg/kubelet/status/generate.go GenerateContainersReadyCondition; release-1.34',
  summary: 'results ok ok fail fail ok ok: ready false → true after r2 → false after r4 → true after r6; 2 Unhealthy `Readiness probe failed: not yet`; no Killing/StopContainer before the SIGTERM',
  pod: b.pod,
  fake: {
    containers: [{ name: 'app', sigtermDelayMs: 100, sigtermExitCode: 0 }],
    exec: [
      { cmd: READY.join(' '), exitCode: 0, times: 2 },
      { cmd: READY.join(' '), exitCode: 1, stdout: 'not yet', times: 2 },
      { cmd: READY.join(' '), exitCode: 0 },
    ],
  },
  // The first failure is r3; r6 comes ~6 s later; then ~3 s with the pod ready again.
  actions: [{ label: 'stop', when: event({ type: 'Warning', reason: 'Unhealthy', message: 'Readiness probe failed: not yet' }), delayMs: 9000, do: { signal: 'SIGTERM' } }],
  deadlineMs: withStartup(18_000),
  expect: [
    seq(r().as('r1'), r().as('r2'), r().as('r3'), r().as('r4'), r().as('r5'), r().as('r6')),
    podsSpan('every', 'app ready false, Ready and ContainersReady False ContainersNotReady `containers with unready status: [app]`', { to: ['r2.end', 0] }, (p) =>
      readyOf(p, 'app') === false && condIs(p, 'Ready', 'False', 'ContainersNotReady', UNREADY) && condIs(p, 'ContainersReady', 'False', 'ContainersNotReady', UNREADY),
    ),
    podsSpan('some', 'app ready true, Ready and ContainersReady True', { from: ['r2.end', 0], to: ['r4.end', 0] }, (p) => readyOf(p, 'app') === true && condIs(p, 'Ready', 'True') && condIs(p, 'ContainersReady', 'True')),
    podsSpan('none', 'app ready false', { from: ['r2.end', 1500], to: ['r4.end', 0] }, (p) => readyOf(p, 'app') === false),
    podsSpan('some', 'app ready false, Ready False `containers with unready status: [app]`, phase Running', { from: ['r4.end', 0], to: ['r6.end', 0] }, (p) =>
      readyOf(p, 'app') === false && condIs(p, 'Ready', 'False', 'ContainersNotReady', UNREADY) && p['status']?.['phase'] === 'Running',
    ),
    podsSpan('none', 'app ready true', { from: ['r4.end', 1500], to: ['r6.end', 0] }, (p) => readyOf(p, 'app') === true),
    podsSpan('some', 'app ready true again', { from: ['r6.end', 0], to: ['stop', 0] }, (p) => readyOf(p, 'app') === true && condIs(p, 'Ready', 'True')),
    count(event({ type: 'Warning', reason: 'Unhealthy', fieldPath: fp('app'), message: 'Readiness probe failed: not yet' }), { eq: 2 }, { to: 'stop' }),
    never(event({ reason: 'Killing' }), { to: 'stop' }),
    never(call('StopContainer'), { to: 'stop' }),
    never(call('CreateContainer', { name: 'app', attempt: [1, 1000] })),
    exitCode(0),
  ],
};

// ------------------------------------------------------------------ s10c

const BOOTED = ['sh', '-c', 'booted'];
const ALIVE = ['sh', '-c', 'alive'];
const c = makePod('probe-startup-gates', {
  containers: [
    ctr('app', {
      startupProbe: { exec: { command: BOOTED }, periodSeconds: 2, failureThreshold: 5 },
      livenessProbe: { exec: { command: ALIVE }, periodSeconds: 2 },
      readinessProbe: { exec: { command: READY }, periodSeconds: 2 },
    }),
  ],
});

export const startupGates: Scenario = {
  name: 's10c the startup probe gates liveness and readiness: started false until it succeeds (after 2 failures), then liveness/readiness run and startup stops',
  pins: 'pkg/kubelet/prober/worker.go doProbe (c.Started: startup only until started, others only after); pkg/kubelet/prober/prober_manager.go UpdatePodStatus (started); release-1.34',
  summary: '3 startup ExecSyncs (2 Unhealthy `Startup probe failed: booting`), no liveness/readiness ExecSync before the 3rd ends, no startup ExecSync after; started false + phase Running before, started and ready true after',
  pod: c.pod,
  fake: {
    containers: [{ name: 'app', sigtermDelayMs: 100, sigtermExitCode: 0 }],
    exec: [
      { cmd: BOOTED.join(' '), exitCode: 1, stdout: 'booting', times: 2 },
      { cmd: BOOTED.join(' '), exitCode: 0 },
      { cmd: ALIVE.join(' '), exitCode: 0 },
      { cmd: READY.join(' '), exitCode: 0 },
    ],
  },
  actions: [{ label: 'stop', when: call('ExecSync', { name: 'app', cmd: ALIVE.join(' ') }), delayMs: 4500, do: { signal: 'SIGTERM' } }],
  deadlineMs: withStartup(14_000),
  expect: [
    seq(
      call('ExecSync', { name: 'app', cmd: BOOTED.join(' ') }),
      call('ExecSync', { name: 'app', cmd: BOOTED.join(' ') }),
      call('ExecSync', { name: 'app', cmd: BOOTED.join(' ') }).as('up'),
      call('ExecSync', { name: 'app', cmd: ALIVE.join(' ') }),
    ),
    never(call('ExecSync', { name: 'app', cmd: ALIVE.join(' ') }), { to: 'up.end' }),
    never(call('ExecSync', { name: 'app', cmd: READY.join(' ') }), { to: 'up.end' }),
    count(call('ExecSync', { name: 'app', cmd: BOOTED.join(' ') }), { eq: 0 }, { from: 'up.end' }),
    count(event({ type: 'Warning', reason: 'Unhealthy', fieldPath: fp('app'), message: 'Startup probe failed: booting' }), { eq: 2 }),
    somePod('app running with started false and ready false, phase Running', (p) => p['status']?.['phase'] === 'Running' && startedOf(p, 'app') === false && readyOf(p, 'app') === false),
    podsSpan('some', 'app started true and ready true', { from: ['up.end', 0] }, (p) => startedOf(p, 'app') === true && readyOf(p, 'app') === true),
    never(event({ reason: 'Killing' }), { to: 'stop' }),
    exitCode(0),
  ],
};

// ------------------------------------------------------------------ s10d

const d = makePod('probe-unresolvable-port', {
  containers: [ctr('tcp', { livenessProbe: { tcpSocket: { port: 'http' }, periodSeconds: 2, failureThreshold: 1 } })],
});

export const probeErrorDiscarded: Scenario = {
  name: 's10d a probe that errors (named port `http` the container does not declare) is discarded: errored event every period, never a kill',
  pins: 'pkg/kubelet/prober/prober.go probe (`%s probe errored and resulted in %s state: %s`); pkg/kubelet/prober/worker.go doProbe (error → result thrown away); pkg/probe/util.go ResolveContainerPort (strconv.Atoi fallback); API validation checks only the port name syntax (pkg/apis/core/validation ValidatePortNumOrName); release-1.34',
  summary: '≥3 Unhealthy `Liveness probe errored and resulted in unknown state: strconv.Atoi: parsing "http": invalid syntax`; never Killing or StopContainer before the SIGTERM',
  pod: d.pod,
  fake: { containers: [{ name: 'tcp', sigtermDelayMs: 100, sigtermExitCode: 0 }] },
  actions: [{ label: 'stop', when: call('StartContainer', { name: 'tcp', error: false }), delayMs: 9000, do: { signal: 'SIGTERM' } }],
  deadlineMs: withStartup(11_000),
  expect: [
    count(
      event({ type: 'Warning', reason: 'Unhealthy', fieldPath: fp('tcp'), message: 'Liveness probe errored and resulted in unknown state: strconv.Atoi: parsing "http": invalid syntax' }),
      { min: 3 },
      { to: 'stop' },
    ),
    never(event({ reason: 'Killing' }), { to: 'stop' }),
    never(call('StopContainer'), { to: 'stop' }),
    exitCode(0),
  ],
};

// ------------------------------------------------------------------ s10e

const RPC = ['sh', '-c', 'rpc'];
const SLOW = ['sh', '-c', 'slow'];
const e = makePod('probe-retry-timeout', {
  containers: [
    ctr('rpc', { livenessProbe: { exec: { command: RPC }, initialDelaySeconds: 1, periodSeconds: 3, failureThreshold: 1 } }),
    ctr('slow', { livenessProbe: { exec: { command: SLOW }, initialDelaySeconds: 1, periodSeconds: 3, timeoutSeconds: 1, failureThreshold: 1 } }),
  ],
});

export const probeRetriesAndTimeout: Scenario = {
  name: 's10e an ExecSync CRI error is retried 3 times in one tick, then an errored event and no kill; an exec timeout (DeadlineExceeded) is a Failure that kills',
  pins: 'pkg/kubelet/prober/prober.go runProbeWithRetries (maxProbeRetries 3, retry only on error) + probe; pkg/probe/exec/exec.go (TimeoutError → Failure); k8s.io/cri-client remote_runtime.go ExecSync (codes.DeadlineExceeded → `command %q timed out`); release-1.34',
  summary: 'rpc: 3 ExecSyncs UNKNOWN within 1.5 s, Unhealthy `Liveness probe errored and resulted in unknown state: rpc error: code = Unknown desc = runtime hiccup`, next tick ok, never killed; slow: one ExecSync (timeout 1) DEADLINE_EXCEEDED, Unhealthy `Liveness probe failed: command "sh -c slow" timed out`, Killing',
  pod: e.pod,
  fake: {
    containers: [
      { name: 'rpc', sigtermDelayMs: 100, sigtermExitCode: 0 },
      { name: 'slow', sigtermDelayMs: 100, sigtermExitCode: 143 },
    ],
    exec: [
      { cmd: RPC.join(' '), exitCode: 0 },
      { cmd: SLOW.join(' '), exitCode: 0 },
    ],
    faults: [
      { method: 'ExecSync', name: 'rpc', times: 3, code: 'UNKNOWN', message: 'runtime hiccup' },
      { method: 'ExecSync', name: 'slow', attempt: 0, times: 1, delayMs: 1000, code: 'DEADLINE_EXCEEDED', message: 'failed to exec in container: timeout 1s exceeded: context deadline exceeded' },
    ],
  },
  actions: [{ label: 'stop', when: call('StartContainer', { name: 'slow', attempt: 0, error: false }), delayMs: 11_000, do: { signal: 'SIGTERM' } }],
  deadlineMs: withStartup(13_000),
  expect: [
    seq(
      call('ExecSync', { name: 'rpc', cmd: RPC.join(' '), error: 'UNKNOWN' }).as('e1'),
      call('ExecSync', { name: 'rpc', cmd: RPC.join(' '), error: 'UNKNOWN' }).within(0, 1500, 'e1'),
      call('ExecSync', { name: 'rpc', cmd: RPC.join(' '), error: 'UNKNOWN' }).within(0, 1500, 'e1'),
      event({ type: 'Warning', reason: 'Unhealthy', fieldPath: fp('rpc'), message: 'Liveness probe errored and resulted in unknown state: rpc error: code = Unknown desc = runtime hiccup' }),
      call('ExecSync', { name: 'rpc', cmd: RPC.join(' '), error: false }),
    ),
    never(event({ reason: 'Killing', fieldPath: fp('rpc') }), { to: 'stop' }),
    seq(
      call('ExecSync', { name: 'slow', attempt: 0, cmd: SLOW.join(' '), timeout: 1, error: 'DEADLINE_EXCEEDED' }),
      event({ type: 'Warning', reason: 'Unhealthy', fieldPath: fp('slow'), message: 'Liveness probe failed: command "sh -c slow" timed out' }),
      event({ type: 'Normal', reason: 'Killing', fieldPath: fp('slow'), message: 'Container slow failed liveness probe, will be restarted' }),
      call('StopContainer', { name: 'slow', attempt: 0 }),
    ),
    count(call('ExecSync', { name: 'slow', attempt: 0 }), { eq: 1 }),
    exitCode(0),
  ],
};

// ------------------------------------------------------------------ s10f

/** A probe target in the test process, on 127.0.0.1 (probes may name a host). */
const seen: { path: string; headers: IncomingHttpHeaders }[] = [];
const server = createServer((req, res) => {
  seen.push({ path: req.url ?? '', headers: req.headers });
  switch (req.url) {
    case '/ok':
      res.writeHead(200, { 'content-type': 'text/plain' }).end('fine');
      break;
    case '/redirect':
      res.writeHead(302, { location: '/ok' }).end('to ok');
      break;
    case '/offhost':
      res.writeHead(302, { location: 'http://probe-target.invalid/elsewhere' }).end('moved');
      break;
    case '/status500':
      res.writeHead(500, { 'content-type': 'text/plain' }).end('boom');
      break;
    default:
      res.writeHead(404).end('no such path');
  }
});
server.listen(0, '127.0.0.1');
server.unref();
const serverPort = (): number => (server.address() as AddressInfo | null)?.port ?? 0;

function httpPod(port: number) {
  const get = (path: string, extra: Record<string, unknown> = {}) => ({ httpGet: { host: '127.0.0.1', port, path, ...extra } });
  return makePod('probe-http', {
    containers: [
      ctr('web', {
        startupProbe: { ...get('/redirect'), periodSeconds: 1, failureThreshold: 10 },
        readinessProbe: { ...get('/ok', { httpHeaders: [{ name: 'X-Probe', value: 'conformance' }] }), periodSeconds: 2 },
        livenessProbe: { tcpSocket: { host: '127.0.0.1', port }, periodSeconds: 2, failureThreshold: 1 },
      }),
      ctr('bad', {
        readinessProbe: { ...get('/offhost'), periodSeconds: 1 },
        livenessProbe: { ...get('/status500'), initialDelaySeconds: 4, periodSeconds: 2, failureThreshold: 1 },
      }),
      ctr('refused', { readinessProbe: { httpGet: { host: '127.0.0.1', port: 1, path: '/x' }, periodSeconds: 2 } }),
    ],
  });
}

export const httpProbes: Scenario = {
  name: 's10f HTTP/TCP probes: 2xx and a local redirect succeed, a redirect to another host is a ProbeWarning (success), 500 fails, a refused connection fails with Go\'s error text; kube-probe/1.34 headers',
  pins: 'pkg/probe/http/http.go DoHTTPProbe + RedirectChecker(false); pkg/probe/http/request.go NewRequestForHTTPGetAction (User-Agent, Accept, httpHeaders); pkg/probe/tcp/tcp.go; pkg/kubelet/prober/prober.go probe (ProbeWarning); release-1.34',
  summary: 'web started+ready (startup via /redirect → /ok, no warning), liveness tcpSocket never kills; bad: ProbeWarning `Readiness probe warning: Probe terminated redirects, Response body: moved`, ready true, then `Liveness probe failed: HTTP probe failed with statuscode: 500` and killed; refused: `Readiness probe failed: Get "http://127.0.0.1:1/x": dial tcp 127.0.0.1:1: connect: connection refused`, ready false',
  get pod() {
    return httpPod(serverPort()).pod;
  },
  fake: {
    containers: [
      { name: 'web', sigtermDelayMs: 100, sigtermExitCode: 0 },
      { name: 'bad', sigtermDelayMs: 100, sigtermExitCode: 143 },
      { name: 'refused', sigtermDelayMs: 100, sigtermExitCode: 0 },
    ],
  },
  actions: [{ label: 'stop', when: call('StartContainer', { name: 'refused', attempt: 0, error: false }), delayMs: 10_000, do: { signal: 'SIGTERM' } }],
  deadlineMs: withStartup(12_000),
  expect: [
    somePod('web started and ready', (p) => startedOf(p, 'web') === true && readyOf(p, 'web') === true),
    never(event({ reason: 'ProbeWarning', fieldPath: fp('web') })),
    never(event({ reason: 'Unhealthy', fieldPath: fp('web') })),
    never(event({ reason: 'Killing', fieldPath: fp('web') }), { to: 'stop' }),
    custom('the probe requests carry User-Agent kube-probe/1.34 and Accept */*; the readiness one also X-Probe: conformance; /redirect was followed to /ok', () => {
      if (!seen.length) return 'the probe target saw no request';
      const ua = seen.filter((s) => s.headers['user-agent'] !== 'kube-probe/1.34');
      if (ua.length) return `User-Agent ${JSON.stringify(ua[0]!.headers['user-agent'])} on ${ua[0]!.path}`;
      const acc = seen.filter((s) => s.headers['accept'] !== '*/*');
      if (acc.length) return `Accept ${JSON.stringify(acc[0]!.headers['accept'])} on ${acc[0]!.path}`;
      if (!seen.some((s) => s.path === '/ok' && s.headers['x-probe'] === 'conformance')) return 'no /ok request with X-Probe: conformance';
      const i = seen.findIndex((s) => s.path === '/redirect');
      if (i < 0 || !seen.slice(i + 1).some((s) => s.path === '/ok' && s.headers['x-probe'] === undefined)) return 'the local redirect /redirect → /ok was not followed';
      if (seen.some((s) => s.path === '/elsewhere')) return 'the off-host redirect was followed';
      return null;
    }),
    seq(event({ type: 'Warning', reason: 'ProbeWarning', fieldPath: fp('bad'), message: 'Readiness probe warning: Probe terminated redirects, Response body: moved' })),
    somePod('bad ready true (a warning counts as success)', (p) => readyOf(p, 'bad') === true),
    seq(
      event({ type: 'Warning', reason: 'Unhealthy', fieldPath: fp('bad'), message: 'Liveness probe failed: HTTP probe failed with statuscode: 500' }),
      event({ type: 'Normal', reason: 'Killing', fieldPath: fp('bad'), message: 'Container bad failed liveness probe, will be restarted' }),
      call('StopContainer', { name: 'bad', attempt: 0 }).as('badStop'),
      call('CreateContainer', { name: 'bad', attempt: 1 }).within(0, IMMEDIATE_MS, 'badStop.end'),
    ),
    seq(event({ type: 'Warning', reason: 'Unhealthy', fieldPath: fp('refused'), message: 'Readiness probe failed: Get "http://127.0.0.1:1/x": dial tcp 127.0.0.1:1: connect: connection refused' })),
    podsSpan('every', 'refused ready false', { from: ['start', 0], to: ['stop', 0] }, (p) => readyOf(p, 'refused') !== true),
    never(event({ reason: 'Killing', fieldPath: fp('refused') }), { to: 'stop' }),
    exitCode(0),
  ],
};

export default [livenessThreshold, readiness, startupGates, probeErrorDiscarded, probeRetriesAndTimeout, httpProbes];
