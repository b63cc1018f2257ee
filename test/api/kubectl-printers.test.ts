// kubectl's output, reproduced: Go's tabwriter, printPod's STATUS/READY/RESTARTS
// (printers.go), kubectl events' LAST SEEN, describe pod's layout.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { tabwrite, GET_TABWRITER, DESCRIBE_TABWRITER } from '../../src/kubectl/tabwriter.js';
import { podRow, printPods, printEvents } from '../../src/kubectl/printers.js';
import { describePod, describeProbe, rfc1123z } from '../../src/kubectl/describe.js';
import type { ContainerStatus, Event, Pod, PodStatus } from '../../src/k8s/types.js';

const NOW = Date.parse('2024-05-01T12:00:00Z');
const ago = (s: number) => new Date(NOW - s * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

function pod(status: PodStatus, spec: Partial<Pod['spec']> = {}, meta: Partial<Pod['metadata']> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', uid: 'u1', creationTimestamp: ago(75), ...meta },
    spec: { containers: [{ name: 'app', image: 'busybox' }], ...spec },
    status,
  };
}
const cs = (name: string, state: ContainerStatus['state'], extra: Partial<ContainerStatus> = {}): ContainerStatus => ({
  name,
  state,
  lastState: {},
  ready: false,
  restartCount: 0,
  image: 'busybox',
  imageID: '',
  ...extra,
});

describe('tabwriter (Go text/tabwriter as kubectl configures it)', () => {
  test('kubectl get: columns padded to the widest cell + 3, at least 6; the last cell is not padded', () => {
    assert.equal(tabwrite('NAME\tREADY\tSTATUS\nnginx-7854ff8877-2xk7l\t1/1\tRunning\n', GET_TABWRITER), 'NAME                     READY   STATUS\nnginx-7854ff8877-2xk7l   1/1     Running\n');
  });
  test('describe: a line without a tab ends the block, so each section aligns on its own', () => {
    const out = tabwrite('Name:\tweb\nNamespace:\tdefault\nContainers:\n  app:\n    Image:\tbusybox\n    Restart Count:\t0\n', DESCRIBE_TABWRITER);
    assert.equal(out, 'Name:       web\nNamespace:  default\nContainers:\n  app:\n    Image:          busybox\n    Restart Count:  0\n');
  });
  test('a column is as wide as its cells over the lines that have it; nested columns too', () => {
    assert.equal(tabwrite('a\tb\tc\naaaa\tb\n', { minwidth: 0, padding: 1 }), 'a    b c\naaaa b\n');
  });
});

describe('printPod: the STATUS column as kubectl computes it', () => {
  const row = (p: Pod) => podRow(p, NOW);
  test('Running, READY counts ready running containers, AGE from creationTimestamp', () => {
    const r = row(pod({ phase: 'Running', containerStatuses: [cs('app', { running: { startedAt: ago(70) } }, { ready: true })] }));
    assert.deepEqual([r.ready, r.status, r.restarts, r.age], ['1/1', 'Running', '0', '75s']);
  });
  test('CrashLoopBackOff with RESTARTS "3 (10s ago)"', () => {
    const r = row(pod({ phase: 'Running', containerStatuses: [cs('app', { waiting: { reason: 'CrashLoopBackOff' } }, { restartCount: 3, lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(10) } } })] }));
    assert.deepEqual([r.ready, r.status, r.restarts], ['0/1', 'CrashLoopBackOff', '3 (10s ago)']);
  });
  test('Init:0/2 while the first init container runs, Init:CrashLoopBackOff, Init:Error, PodInitializing', () => {
    const spec = { initContainers: [{ name: 'i1', image: 'b' }, { name: 'i2', image: 'b' }] };
    const appWaiting = [cs('app', { waiting: { reason: 'PodInitializing' } })];
    assert.equal(row(pod({ phase: 'Pending', initContainerStatuses: [cs('i1', { running: {} }), cs('i2', { waiting: { reason: 'PodInitializing' } })], containerStatuses: appWaiting }, spec)).status, 'Init:0/2');
    assert.equal(row(pod({ phase: 'Pending', initContainerStatuses: [cs('i1', { terminated: { exitCode: 0, reason: 'Completed' } }), cs('i2', { waiting: { reason: 'CrashLoopBackOff' } })], containerStatuses: appWaiting }, spec)).status, 'Init:CrashLoopBackOff');
    assert.equal(row(pod({ phase: 'Failed', initContainerStatuses: [cs('i1', { terminated: { exitCode: 2, reason: 'Error' } }), cs('i2', { waiting: { reason: 'PodInitializing' } })], containerStatuses: appWaiting }, spec)).status, 'Init:Error');
    assert.equal(row(pod({ phase: 'Pending', initContainerStatuses: [cs('i1', { terminated: { exitCode: 3 } })], containerStatuses: appWaiting }, { initContainers: [{ name: 'i1', image: 'b' }] })).status, 'Init:ExitCode:3');
    const done = [cs('i1', { terminated: { exitCode: 0, reason: 'Completed' } }), cs('i2', { terminated: { exitCode: 0, reason: 'Completed' } })];
    assert.equal(row(pod({ phase: 'Pending', conditions: [{ type: 'Initialized', status: 'True' }], initContainerStatuses: done, containerStatuses: appWaiting }, spec)).status, 'PodInitializing');
  });
  test('a started sidecar counts in READY and does not hold STATUS at Init', () => {
    const r = row(pod({ phase: 'Running', conditions: [{ type: 'Initialized', status: 'True' }], initContainerStatuses: [cs('side', { running: {} }, { started: true, ready: true })], containerStatuses: [cs('app', { running: {} }, { ready: true })] }, { initContainers: [{ name: 'side', image: 'b', restartPolicy: 'Always' }] }));
    assert.deepEqual([r.ready, r.status], ['2/2', 'Running']);
  });
  test('Completed, Error, ExitCode:N, Signal:N; Completed but one still running is Running or NotReady', () => {
    assert.equal(row(pod({ phase: 'Succeeded', containerStatuses: [cs('app', { terminated: { exitCode: 0, reason: 'Completed' } })] })).status, 'Completed');
    assert.equal(row(pod({ phase: 'Failed', containerStatuses: [cs('app', { terminated: { exitCode: 1, reason: 'Error' } })] })).status, 'Error');
    assert.equal(row(pod({ phase: 'Failed', containerStatuses: [cs('app', { terminated: { exitCode: 137 } })] })).status, 'ExitCode:137');
    assert.equal(row(pod({ phase: 'Failed', containerStatuses: [cs('app', { terminated: { exitCode: 0, signal: 9 } })] })).status, 'Signal:9');
    const two = { containers: [{ name: 'a', image: 'b' }, { name: 'b', image: 'b' }] };
    const mixed = [cs('a', { running: {} }, { ready: true }), cs('b', { terminated: { exitCode: 0, reason: 'Completed' } })];
    assert.equal(row(pod({ phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }], containerStatuses: mixed }, two)).status, 'NotReady');
    assert.equal(row(pod({ phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: mixed }, two)).status, 'Running');
  });
  test('Terminating once a deletion is underway (not for a terminal phase); the pod status reason wins otherwise', () => {
    assert.equal(row(pod({ phase: 'Running', containerStatuses: [cs('app', { running: {} }, { ready: true })] }, {}, { deletionTimestamp: ago(2) })).status, 'Terminating');
    assert.equal(row(pod({ phase: 'Succeeded', containerStatuses: [cs('app', { terminated: { exitCode: 0, reason: 'Completed' } })] }, {}, { deletionTimestamp: ago(2) })).status, 'Completed');
    assert.equal(row(pod({ phase: 'Failed', reason: 'OutOfpods' })).status, 'OutOfpods');
  });
  test('the table, and -o wide adds IP, NODE, NOMINATED NODE, READINESS GATES', () => {
    const p = pod({ phase: 'Running', podIPs: [{ ip: '10.1.0.5' }], containerStatuses: [cs('app', { running: {} }, { ready: true })] }, { nodeName: 'n1' });
    assert.equal(printPods([p], NOW), 'NAME   READY   STATUS    RESTARTS   AGE\nweb    1/1     Running   0          75s\n');
    assert.equal(
      printPods([p], NOW, { wide: true }),
      'NAME   READY   STATUS    RESTARTS   AGE   IP         NODE   NOMINATED NODE   READINESS GATES\nweb    1/1     Running   0          75s   10.1.0.5   n1     <none>           <none>\n',
    );
  });
});

describe('kubectl events and describe pod', () => {
  const ev = (reason: string, message: string, count: number, first: number, last: number, type: 'Normal' | 'Warning' = 'Normal'): Event => ({
    kind: 'Event',
    apiVersion: 'v1',
    metadata: { name: `web.${reason}`, namespace: 'default' },
    type,
    reason,
    message,
    involvedObject: { kind: 'Pod', name: 'web', namespace: 'default', uid: 'u1', fieldPath: 'spec.containers{app}' },
    count,
    firstTimestamp: ago(first),
    lastTimestamp: ago(last),
    source: { component: 'kubelet' },
  });
  test('kubectl events: LAST SEEN with "(xN over ...)", OBJECT Kind/name, oldest first', () => {
    const out = printEvents([ev('BackOff', 'Back-off restarting failed container app', 3, 40, 5, 'Warning'), ev('Pulled', 'Container image "busybox" already present on machine', 1, 60, 60)], NOW);
    assert.equal(
      out,
      'LAST SEEN          TYPE      REASON    OBJECT    MESSAGE\n' +
        '60s                Normal    Pulled    Pod/web   Container image "busybox" already present on machine\n' +
        '5s (x3 over 40s)   Warning   BackOff   Pod/web   Back-off restarting failed container app\n',
    );
  });
  test('describe pod: header fields, container State/Last State/Ready/Restart Count, hooks and probes, Conditions, Events', () => {
    const p = pod(
      {
        phase: 'Running',
        podIP: '10.1.0.5',
        podIPs: [{ ip: '10.1.0.5' }],
        hostIP: '127.0.0.1',
        startTime: ago(75),
        conditions: [
          { type: 'Initialized', status: 'True' },
          { type: 'Ready', status: 'False' },
        ],
        containerStatuses: [
          cs('app', { waiting: { reason: 'CrashLoopBackOff' } }, { containerID: 'containerd://abc', imageID: 'sha256:1', restartCount: 2, lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: ago(20), finishedAt: ago(10) } } }),
        ],
      },
      {
        nodeName: 'n1',
        containers: [
          {
            name: 'app',
            image: 'busybox',
            command: ['sh', '-c', 'exit 1'],
            ports: [{ containerPort: 8080, protocol: 'TCP' }],
            livenessProbe: { httpGet: { path: '/healthz', port: 8080, scheme: 'HTTP' }, initialDelaySeconds: 0, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 },
            lifecycle: { preStop: { exec: { command: ['sleep', '1'] } } },
          },
        ],
      },
      { labels: { app: 'web' } },
    );
    const text = describePod(p, [ev('BackOff', 'Back-off restarting failed container app', 3, 40, 5, 'Warning')], NOW);
    const lines = text.split('\n');
    assert.equal(lines[0], 'Name:         web');
    assert.equal(lines[1], 'Namespace:    default');
    assert.equal(lines[2], 'Node:         n1/127.0.0.1');
    assert.equal(lines[3], `Start Time:   ${rfc1123z(ago(75))}`);
    assert.equal(lines[4], 'Labels:       app=web');
    assert.ok(text.includes('\nStatus:       Running\n'));
    assert.ok(text.includes('\nContainers:\n  app:\n    Container ID:  containerd://abc\n    Image:         busybox\n    Image ID:      sha256:1\n    Port:          8080/TCP\n    Host Port:     0/TCP\n    Command:\n      sh\n      -c\n      exit 1\n'), text);
    assert.ok(text.includes('    State:          Waiting\n      Reason:       CrashLoopBackOff\n    Last State:     Terminated\n      Reason:       Error\n      Exit Code:    1\n'), text);
    assert.ok(text.includes('    Ready:          False\n    Restart Count:  2\n    Liveness:       http-get http://:8080/healthz delay=0s timeout=1s period=10s #success=1 #failure=3\n    PreStop:        exec [sleep 1]\n'), text);
    // The condition rows and the lines after them (Volumes:, QoS Class:, ...) are one tabwriter block, as in kubectl.
    assert.ok(text.includes('Conditions:\n  Type           Status\n  Initialized    True \n  Ready          False \nVolumes:         <none>\n'), text);
    assert.ok(text.includes('Events:\n  Type     Reason   Age               From     Message\n  ----     ------   ----              ----     -------\n  Warning  BackOff  5s (x3 over 40s)  kubelet  Back-off restarting failed container app\n'), text);
    assert.ok(/QoS Class:\s+BestEffort\n/.test(text));
  });
  test('describe: a pod being deleted shows Terminating (lasts ...) and its grace; no events is <none>', () => {
    const p = pod({ phase: 'Running' }, { terminationGracePeriodSeconds: 30 }, { deletionTimestamp: ago(4), deletionGracePeriodSeconds: 5 });
    const text = describePod(p, [], NOW);
    assert.ok(text.includes('Status:                    Terminating (lasts 4s)\nTermination Grace Period:  5s\n'), text);
    assert.ok(/\nEvents:\s+<none>\n$/.test(text), text);
  });
  test('DescribeProbe forms', () => {
    assert.equal(describeProbe({ exec: { command: ['cat', '/tmp/ok'] }, periodSeconds: 5 }), 'exec [cat /tmp/ok] delay=0s timeout=1s period=5s #success=1 #failure=3');
    assert.equal(describeProbe({ tcpSocket: { port: 80 } }), 'tcp-socket :80 delay=0s timeout=1s period=10s #success=1 #failure=3');
  });
});
