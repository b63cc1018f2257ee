// kubectl's table printers for pods and events (pkg/printers/internalversion/
// printers.go, printPod and printEvent, 1.34): the READY count, the STATUS
// string kubectl derives from a pod's phase, reason and container states, the
// RESTARTS cell with its "(5s ago)", and the events' LAST SEEN/OBJECT cells.
import { humanDuration } from '../k8s/format.js';
import type { Container, Event, Pod } from '../k8s/types.js';
import { table } from './tabwriter.js';

/** podutil.IsRestartableInitContainer: an init container with restartPolicy Always (a sidecar). */
export function isRestartableInitContainer(c: Container | undefined): boolean {
  return c?.restartPolicy === 'Always';
}

const ts = (s: string | undefined): number => (s ? Date.parse(s) : Number.NaN);

/** translateTimestampSince: `<unknown>` for a zero time, else HumanDuration(now - t). */
export function since(t: string | number | undefined, now: number): string {
  const ms = typeof t === 'number' ? t : ts(t);
  if (!Number.isFinite(ms) || ms <= 0) return '<unknown>';
  return humanDuration(now - ms);
}

export interface PodRow {
  name: string;
  ready: string;
  status: string;
  restarts: string;
  age: string;
  ip: string;
  node: string;
  nominatedNode: string;
  readinessGates: string;
}

/** printPod: the cells of one `kubectl get pods` row. */
export function podRow(pod: Pod, now: number): PodRow {
  const status = pod.status ?? {};
  const spec = pod.spec;
  let restarts = 0;
  let restartableInitRestarts = 0;
  let totalContainers = spec.containers.length;
  let readyContainers = 0;
  let lastRestart = 0;
  let lastRestartableInitRestart = 0;
  const phase = status.phase ?? '';
  let reason: string = status.reason || phase;
  for (const c of status.conditions ?? []) {
    if (c.type === 'PodScheduled' && c.reason === 'SchedulingGated') reason = 'SchedulingGated';
  }
  const initSpecs = new Map<string, Container>();
  for (const c of spec.initContainers ?? []) {
    initSpecs.set(c.name, c);
    if (isRestartableInitContainer(c)) totalContainers++;
  }
  let initializing = false;
  const inits = status.initContainerStatuses ?? [];
  for (let i = 0; i < inits.length; i++) {
    const c = inits[i]!;
    restarts += c.restartCount;
    const lastFinished = ts(c.lastState.terminated?.finishedAt);
    if (c.lastState.terminated && lastFinished > lastRestart) lastRestart = lastFinished;
    const sidecar = isRestartableInitContainer(initSpecs.get(c.name));
    if (sidecar) {
      restartableInitRestarts += c.restartCount;
      if (c.lastState.terminated && lastFinished > lastRestartableInitRestart) lastRestartableInitRestart = lastFinished;
    }
    const t = c.state.terminated;
    if (t && t.exitCode === 0) continue;
    if (sidecar && c.started) {
      if (c.ready) readyContainers++;
      continue;
    }
    if (t) {
      // Initialization failed.
      reason = t.reason ? `Init:${t.reason}` : t.signal ? `Init:Signal:${t.signal}` : `Init:ExitCode:${t.exitCode}`;
      initializing = true;
    } else if (c.state.waiting?.reason && c.state.waiting.reason !== 'PodInitializing') {
      reason = `Init:${c.state.waiting.reason}`;
      initializing = true;
    } else {
      reason = `Init:${i}/${(spec.initContainers ?? []).length}`;
      initializing = true;
    }
    break;
  }
  const initialized = (status.conditions ?? []).some((c) => c.type === 'Initialized' && c.status === 'True');
  if (!initializing || initialized) {
    restarts = restartableInitRestarts;
    lastRestart = lastRestartableInitRestart;
    let hasRunning = false;
    const cs = status.containerStatuses ?? [];
    for (let i = cs.length - 1; i >= 0; i--) {
      const c = cs[i]!;
      restarts += c.restartCount;
      const lastFinished = ts(c.lastState.terminated?.finishedAt);
      if (c.lastState.terminated && lastFinished > lastRestart) lastRestart = lastFinished;
      const t = c.state.terminated;
      if (c.state.waiting?.reason) reason = c.state.waiting.reason;
      else if (t && t.reason) reason = t.reason;
      else if (t) reason = t.signal ? `Signal:${t.signal}` : `ExitCode:${t.exitCode}`;
      else if (c.ready && c.state.running) {
        hasRunning = true;
        readyContainers++;
      }
    }
    // Back to "Running" when at least one container still runs.
    if (reason === 'Completed' && hasRunning) {
      reason = (status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True') ? 'Running' : 'NotReady';
    }
  }
  if (pod.metadata.deletionTimestamp && status.reason === 'NodeLost') reason = 'Unknown';
  else if (pod.metadata.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating';

  let restartsCell = String(restarts);
  if (restarts !== 0 && lastRestart > 0) restartsCell = `${restarts} (${since(lastRestart, now)} ago)`;
  const gates = spec.readinessGates ?? [];
  let readinessGates = '<none>';
  if (gates.length) {
    const trueCount = gates.filter((g) => (status.conditions ?? []).some((c) => (c.type as string) === g.conditionType && c.status === 'True')).length;
    readinessGates = `${trueCount}/${gates.length}`;
  }
  return {
    name: pod.metadata.name,
    ready: `${readyContainers}/${totalContainers}`,
    status: reason,
    restarts: restartsCell,
    age: since(pod.metadata.creationTimestamp, now),
    ip: status.podIPs?.[0]?.ip || '<none>',
    node: spec.nodeName || '<none>',
    nominatedNode: '<none>',
    readinessGates,
  };
}

export interface PrintOptions {
  wide?: boolean;
  /** -A: a NAMESPACE column first. */
  allNamespaces?: boolean;
  /** -w after the first batch: rows only. */
  noHeaders?: boolean;
}

/** `kubectl get pods` as text. */
export function printPods(pods: Pod[], now: number, opts: PrintOptions = {}): string {
  const header = ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'];
  if (opts.wide) header.push('IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES');
  if (opts.allNamespaces) header.unshift('NAMESPACE');
  const rows = pods.map((p) => podCells(p, now, opts));
  return table(opts.noHeaders ? undefined : header, rows);
}

export function podCells(pod: Pod, now: number, opts: PrintOptions = {}): string[] {
  const r = podRow(pod, now);
  const cells = [r.name, r.ready, r.status, r.restarts, r.age];
  if (opts.wide) cells.push(r.ip, r.node, r.nominatedNode, r.readinessGates);
  if (opts.allNamespaces) cells.unshift(pod.metadata.namespace ?? 'default');
  return cells;
}

/**
 * `kubectl events` (kubectl/pkg/cmd/events/event_printer.go): LAST SEEN is the
 * interval (`5s`, or `5s (x3 over 40s)` for a repeated event), OBJECT is Kind/name.
 */
export function eventCells(ev: Event, now: number, opts: PrintOptions = {}): string[] {
  const first = since(ev.firstTimestamp, now);
  const interval = ev.count > 1 ? `${since(ev.lastTimestamp, now)} (x${ev.count} over ${first})` : first;
  const cells = [interval, ev.type, ev.reason, `${ev.involvedObject.kind}/${ev.involvedObject.name}`, ev.message.trim()];
  if (opts.allNamespaces) cells.unshift(ev.involvedObject.namespace);
  return cells;
}

/** `kubectl events` as text, oldest first (it sorts by last time). */
export function printEvents(events: Event[], now: number, opts: PrintOptions = {}): string {
  const header = ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'];
  if (opts.allNamespaces) header.unshift('NAMESPACE');
  const sorted = [...events].sort((a, b) => Date.parse(a.lastTimestamp) - Date.parse(b.lastTimestamp));
  return table(opts.noHeaders ? undefined : header, sorted.map((e) => eventCells(e, now, opts)));
}
