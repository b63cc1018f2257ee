// Facts sheet §8: CrashLoopBackOff mechanics with the kubelet's real default
// schedule (10 s initial, ×2, 300 s max; no flags).
//
// Pins (kubernetes/kubernetes; pkg/kubelet/kuberuntime/kuberuntime_manager.go
// doBackOff and SyncPod's start(), kuberuntime_container.go startContainer and
// calcRestartCountByLogDir (1.33/1.34-era copy), k8s.io/client-go/util/flowcontrol
// Backoff; release-1.34 semantics):
// - doBackOff: the newest EXITED instance; no entry before the first restart
//   (first exit ⇒ immediate restart, entry = 10 s), then IsInBackOffSince(key,
//   FinishedAt) with the entry doubling at every Next(): 10 s, 20 s, 40 s; the
//   Warning BackOff `Back-off restarting failed container <c> in pod <P>` and
//   the waiting message `back-off <backOff.Get(key)> restarting failed
//   container=<c> pod=<P>`. Exit code 0 under Always backs off the same way.
// - the back-off key is getStableKey(pod, container) = pod name/ns/uid +
//   container name + HashContainer(container) (1.31+: name and image), so an
//   image change gets a fresh entry and restarts at once.
// - startContainer: restartCount = the newest instance's restartCount + 1; when
//   no instance is visible it is recomputed from `<n>.log` files in the
//   container's log directory (calcRestartCountByLogDir: highest n + 1).
// - not pinned: the reset after a run longer than 600 s (hasExpired in
//   flowcontrol.Backoff, fixed 600 s since 1.32) — it needs > 10 minutes of
//   real time, over this suite's 8-minute budget.
import { makePod, type Scenario } from '../runner.js';
import { action, call, custom, event, exitCode, exited, never, seq, somePod, stateOf } from '../dsl.js';
import { ctr, fp } from './common.js';
import { backoffWindow, condIs, IMMEDIATE_MS, isWaiting, lastTerminatedOf, restartsOf, withStartup } from './helpers.js';

// ------------------------------------------------------------------ s08a

const a = makePod('crashloop-schedule', { containers: [ctr('app')] });
const backoffMsg = (s: string) => `back-off ${s} restarting failed container=app pod=${a.ref}`;
const BACKOFF_EVENT = `Back-off restarting failed container app in pod ${a.ref}`;

function inBackOff(secs: string, restarts: number) {
  return somePod(
    `app waiting CrashLoopBackOff "${backoffMsg(secs)}", restartCount ${restarts}, lastState terminated 1 (Error), phase Running, Ready False \`containers with unready status: [app]\``,
    (p) =>
      isWaiting(p, 'app', 'CrashLoopBackOff', backoffMsg(secs)) &&
      restartsOf(p, 'app') === restarts &&
      lastTerminatedOf(p, 'app')?.['exitCode'] === 1 &&
      lastTerminatedOf(p, 'app')?.['reason'] === 'Error' &&
      p['status']?.['phase'] === 'Running' &&
      condIs(p, 'Ready', 'False', 'ContainersNotReady', 'containers with unready status: [app]'),
  );
}

export const schedule: Scenario = {
  name: 's08a CrashLoopBackOff schedule: restart 1 at once, then after 10 s, 20 s, 40 s, with the BackOff event and `back-off 10s/20s/40s` waiting messages',
  pins: 'pkg/kubelet/kuberuntime/kuberuntime_manager.go doBackOff + SyncPod start(); k8s.io/client-go/util/flowcontrol Backoff (10 s initial, x2); pkg/kubelet/kubelet_pods.go convertToAPIContainerStatuses (reason cache); release-1.34',
  summary: 'attempts 1..4 at +≤2.5 s, +10, +20, +40 s (≤ +16.5 s late: 1.34 syncs) after each exit; BackOff after exits 1–3 only; waiting messages with restartCount 1/2/3 and the newest exit as lastState',
  pod: a.pod,
  fake: { containers: [{ name: 'app', runMs: 300, exitCode: 1 }] },
  actions: [{ label: 'stop', when: call('CreateContainer', { name: 'app', attempt: 4 }), delayMs: 1000, do: { signal: 'SIGTERM' } }],
  deadlineMs: withStartup(115_000),
  expect: [
    seq(
      exited('app', 0, 1).as('x0'),
      call('CreateContainer', { name: 'app', attempt: 1 }).within(0, IMMEDIATE_MS, 'x0').as('c1'),
      exited('app', 1, 1).as('x1'),
      call('CreateContainer', { name: 'app', attempt: 2 }).within(...backoffWindow(10), 'x1').as('c2'),
      exited('app', 2, 1).as('x2'),
      call('CreateContainer', { name: 'app', attempt: 3 }).within(...backoffWindow(20), 'x2').as('c3'),
      exited('app', 3, 1).as('x3'),
      call('CreateContainer', { name: 'app', attempt: 4 }).within(...backoffWindow(40), 'x3'),
    ),
    never(event({ reason: 'BackOff' }), { to: 'c1' }),
    seq(exited('app', 1, 1), event({ type: 'Warning', reason: 'BackOff', fieldPath: fp('app'), message: BACKOFF_EVENT }).within(0, 3000, 'x1')),
    seq(exited('app', 2, 1), event({ type: 'Warning', reason: 'BackOff', fieldPath: fp('app'), message: BACKOFF_EVENT }).within(0, 3000, 'x2')),
    seq(exited('app', 3, 1), event({ type: 'Warning', reason: 'BackOff', fieldPath: fp('app'), message: BACKOFF_EVENT }).within(0, 3000, 'x3')),
    inBackOff('10s', 1),
    inBackOff('20s', 2),
    inBackOff('40s', 3),
    custom('while in the 20 s back-off, lastState is the newest exit (attempt 2), not an older one', ({ timeline, labels }) => {
      const id2 = labels.get('c2')?.call?.response?.['containerId'];
      if (!id2) return 'no CreateContainer app#2 response';
      const lines = timeline.filter((o) => o.stream === 'pod' && isWaiting(o.line!, 'app', 'CrashLoopBackOff', backoffMsg('20s')));
      if (!lines.length) return 'no Pod line in the 20 s back-off';
      const bad = lines.find((o) => !String(lastTerminatedOf(o.line!, 'app')?.['containerID'] ?? '').endsWith(String(id2)));
      return bad ? `lastState.terminated.containerID is ${lastTerminatedOf(bad.line!, 'app')?.['containerID']}, want …${String(id2).slice(0, 12)}` : null;
    }),
    exitCode(0),
  ],
};

// ------------------------------------------------------------------ s08b

const b = makePod('crashloop-exit-zero', { containers: [ctr('app')] });

export const exitZeroBacksOff: Scenario = {
  name: 's08b under Always an exit 0 crash-loops too: restart at once, then after 10 s; lastState terminated 0 Completed',
  pins: 'pkg/kubelet/kuberuntime/kuberuntime_manager.go doBackOff (any exited instance); pkg/kubelet/container/helpers.go ShouldContainerBeRestarted (Always); release-1.34',
  summary: 'attempt 1 ≤ 2.5 s after exit 0, BackOff, attempt 2 10–16.5 s after; waiting CrashLoopBackOff `back-off 10s …` with lastState terminated 0 Completed, restartCount 1, phase Running',
  pod: b.pod,
  fake: { containers: [{ name: 'app', runMs: 300, exitCode: 0 }] },
  actions: [{ label: 'stop', when: call('CreateContainer', { name: 'app', attempt: 2 }), delayMs: 1000, do: { signal: 'SIGTERM' } }],
  deadlineMs: withStartup(23_000),
  expect: [
    seq(
      exited('app', 0, 0).as('x0'),
      call('CreateContainer', { name: 'app', attempt: 1 }).within(0, IMMEDIATE_MS, 'x0'),
      exited('app', 1, 0).as('x1'),
      event({ type: 'Warning', reason: 'BackOff', fieldPath: fp('app'), message: `Back-off restarting failed container app in pod ${b.ref}` }).within(0, 3000, 'x1'),
      call('CreateContainer', { name: 'app', attempt: 2 }).within(...backoffWindow(10), 'x1'),
    ),
    somePod(
      'app waiting CrashLoopBackOff `back-off 10s …`, lastState terminated 0 Completed, restartCount 1, phase Running',
      (p) =>
        isWaiting(p, 'app', 'CrashLoopBackOff', `back-off 10s restarting failed container=app pod=${b.ref}`) &&
        lastTerminatedOf(p, 'app')?.['exitCode'] === 0 &&
        lastTerminatedOf(p, 'app')?.['reason'] === 'Completed' &&
        restartsOf(p, 'app') === 1 &&
        p['status']?.['phase'] === 'Running',
    ),
    exitCode(0),
  ],
};

// ------------------------------------------------------------------ s08c

const NEW_IMAGE = 'busybox:1.37';
const c = makePod('crashloop-image-change', { containers: [ctr('app')] });

export const imageChangeFreshBackOff: Scenario = {
  name: 's08c an image change during a 20 s back-off gets a fresh back-off key: attempt 3 starts at once with the new image',
  pins: 'pkg/kubelet/kuberuntime/kuberuntime_manager.go doBackOff + getStableKey (container hash in the key); pkg/kubelet/container/helpers.go HashContainer; release-1.34',
  summary: 'attempt 2 exits (20 s back-off), edit image 3 s later → Pulled `Container image "busybox:1.37" already present on machine`, CreateContainer app#3 ≤ 3.5 s after the edit',
  pod: c.pod,
  fake: { containers: [{ name: 'app', runMs: 300, exitCode: 1 }] },
  actions: [
    {
      label: 'edit',
      when: exited('app', 2),
      delayMs: 3000,
      do: { edit: (pod) => ({ ...pod, spec: { ...pod['spec'], containers: [{ ...pod['spec']['containers'][0], image: NEW_IMAGE }] } }) },
    },
    { label: 'stop', when: call('CreateContainer', { name: 'app', attempt: 3 }), delayMs: 1000, do: { signal: 'SIGTERM' } },
  ],
  deadlineMs: withStartup(30_000),
  expect: [
    seq(
      exited('app', 1, 1).as('x1'),
      call('CreateContainer', { name: 'app', attempt: 2 }).within(...backoffWindow(10), 'x1'),
      exited('app', 2, 1),
      action('edit'),
      event({ type: 'Normal', reason: 'Pulled', fieldPath: fp('app'), message: `Container image "${NEW_IMAGE}" already present on machine` }),
      call('CreateContainer', { name: 'app', attempt: 3 }).within(0, 3500, 'edit'),
    ),
    never(call('CreateContainer', { name: 'app', attempt: 3 }), { to: 'edit' }),
    exitCode(0),
  ],
};

// ------------------------------------------------------------------ s08d

const d = makePod('crashloop-log-dir', { containers: [ctr('app')] });
const logDir = `default_crashloop-log-dir_${d.uid}/app`;

export const restartCountFromLogs: Scenario = {
  name: "s08d with no instance in the runtime, the restart count comes from the container's log directory (highest <n>.log + 1)",
  pins: 'pkg/kubelet/kuberuntime/kuberuntime_container.go startContainer + calcRestartCountByLogDir (^(\\d+)\\.log(\\..*)?) + BuildContainerLogsDirectory; release-1.34',
  summary: '0.log, 1.log, 2.log and a rotated 2.log.<ts>.gz exist → CreateContainer app attempt 3, restartCount annotation 3, logPath app/3.log; status restartCount 3',
  pod: d.pod,
  podLogFiles: [`${logDir}/0.log`, `${logDir}/1.log`, `${logDir}/2.log`, `${logDir}/2.log.20250101-000000.gz`],
  fake: { containers: [{ name: 'app', sigtermDelayMs: 100, sigtermExitCode: 0 }] },
  actions: [{ label: 'stop', when: call('StartContainer', { name: 'app', error: false }), delayMs: 1500, do: { signal: 'SIGTERM' } }],
  deadlineMs: withStartup(4_000),
  expect: [
    seq(
      call('CreateContainer', {
        name: 'app',
        attempt: 3,
        where: (x) => x.request.annotations?.['io.kubernetes.container.restartCount'] === '3' && x.request.raw['config']?.['logPath'] === 'app/3.log',
        whereDesc: 'restartCount annotation 3, logPath app/3.log',
      }),
    ),
    never(call('CreateContainer', { name: 'app', attempt: [0, 2] })),
    somePod('app running with restartCount 3', (p) => stateOf(p, 'app') === 'running' && restartsOf(p, 'app') === 3),
    exitCode(0),
  ],
};

export default [schedule, exitZeroBacksOff, imageChangeFreshBackOff, restartCountFromLogs];
