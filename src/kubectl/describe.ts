// `kubectl describe pod` (staging/src/k8s.io/kubectl/pkg/describe/describe.go,
// describePod, 1.34): the same fields in the same order, written with the same
// PrefixWriter indentation (two spaces a level) and tabwriter settings, so the
// output lines up as kubectl's does. Sections statelet has nothing for (a
// service account, priority, controllers) are left out as kubectl leaves out
// empty ones. One addition: each container's lifecycle hooks, as
// `PostStart:`/`PreStop:` lines in the style of the probe lines (kubectl prints
// none).
import { describeAge } from '../k8s/events.js';
import { getPodQOS } from '../kuberuntime/qos.js';
import type { Container, ContainerState, ContainerStatus, Event, LifecycleHandler, Pod, Probe, Toleration, Volume } from '../k8s/types.js';
import { since } from './printers.js';
import { DESCRIBE_TABWRITER, tabwrite } from './tabwriter.js';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number) => String(n).padStart(2, '0');

/** Go's time.RFC1123Z in local time: `Mon, 02 Jan 2006 15:04:05 -0700`. */
export function rfc1123z(t: string | number | undefined): string {
  const ms = typeof t === 'number' ? t : t ? Date.parse(t) : Number.NaN;
  // A zero metav1.Time formats as Go's zero time.
  if (!Number.isFinite(ms)) return 'Mon, 01 Jan 0001 00:00:00 +0000';
  const d = new Date(ms);
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  const zone = `${sign}${p2(Math.trunc(Math.abs(off) / 60))}${p2(Math.abs(off) % 60)}`;
  return `${DAYS[d.getDay()]}, ${p2(d.getDate())} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())} ${zone}`;
}

/** The PrefixWriter: `level` two-space indents, then the text (which carries its own tabs and newline). */
class Writer {
  text = '';
  write(level: number, s: string): void {
    this.text += '  '.repeat(level) + s;
  }
}

const MAX_ANNOTATION_LEN = 140;

function shorten(s: string, max: number): string {
  return s.length > max ? s.slice(0, max) + '...' : s;
}

function labelsMultiline(w: Writer, title: string, labels: Record<string, string> | undefined): void {
  w.write(0, `${title}:\t`);
  const keys = Object.keys(labels ?? {}).sort();
  if (!keys.length) {
    w.write(0, '<none>\n');
    return;
  }
  keys.forEach((k, i) => {
    if (i !== 0) w.write(0, '\t');
    w.write(0, `${k}=${labels![k]}\n`);
  });
}

function annotationsMultiline(w: Writer, title: string, annotations: Record<string, string> | undefined): void {
  w.write(0, `${title}:\t`);
  const keys = Object.keys(annotations ?? {})
    .filter((k) => k !== 'kubectl.kubernetes.io/last-applied-configuration')
    .sort();
  if (!keys.length) {
    w.write(0, '<none>\n');
    return;
  }
  keys.forEach((k, i) => {
    if (i !== 0) w.write(0, '\t');
    const value = annotations![k]!.replace(/\n$/, '');
    if (value.length + k.length + 2 > MAX_ANNOTATION_LEN || value.includes('\n')) {
      w.write(0, `${k}:\n`);
      for (const s of value.split('\n')) w.write(0, `\t  ${shorten(s, MAX_ANNOTATION_LEN - 2)}\n`);
    } else {
      w.write(0, `${k}: ${value}\n`);
    }
  });
}

function tolerationsMultiline(w: Writer, title: string, tolerations: Toleration[] | undefined): void {
  w.write(0, `${title}:\t`);
  const list = [...(tolerations ?? [])].sort((a, b) => (a.key ?? '').localeCompare(b.key ?? ''));
  if (!list.length) {
    w.write(0, '<none>\n');
    return;
  }
  list.forEach((t, i) => {
    if (i !== 0) w.write(0, '\t');
    let s = t.key ?? '';
    if (t.value) s += `=${t.value}`;
    if (t.effect) s += `:${t.effect}`;
    if (t.operator === 'Exists' && !t.value) s += t.key || t.effect ? ' op=Exists' : 'op=Exists';
    if (t.tolerationSeconds != null) s += ` for ${t.tolerationSeconds}s`;
    w.write(0, s + '\n');
  });
}

const intOrString = (v: number | string | undefined): string => (v === undefined ? '' : String(v));

/** DescribeProbe. */
export function describeProbe(p: Probe): string {
  const attrs = `delay=${p.initialDelaySeconds ?? 0}s timeout=${p.timeoutSeconds ?? 1}s period=${p.periodSeconds ?? 10}s #success=${p.successThreshold ?? 1} #failure=${p.failureThreshold ?? 3}`;
  if (p.exec) return `exec [${(p.exec.command ?? []).join(' ')}] ${attrs}`;
  if (p.httpGet) {
    const scheme = (p.httpGet.scheme ?? 'HTTP').toLowerCase();
    const port = intOrString(p.httpGet.port);
    const host = p.httpGet.host ?? '';
    const hostPort = port ? (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`) : host;
    return `http-get ${scheme}://${hostPort}${p.httpGet.path ?? ''} ${attrs}`;
  }
  if (p.tcpSocket) return `tcp-socket ${p.tcpSocket.host ?? ''}:${intOrString(p.tcpSocket.port as number | string)} ${attrs}`;
  if (p.grpc) return `grpc <pod>:${p.grpc.port} ${p.grpc.service ?? ''} ${attrs}`;
  return `unknown ${attrs}`;
}

/** A lifecycle handler in the probe lines' style (statelet's addition to describe). */
export function describeHandler(h: LifecycleHandler): string {
  if (h.exec) return `exec [${(h.exec.command ?? []).join(' ')}]`;
  if (h.httpGet) {
    const scheme = (h.httpGet.scheme ?? 'HTTP').toLowerCase();
    return `http-get ${scheme}://${h.httpGet.host ?? ''}:${intOrString(h.httpGet.port)}${h.httpGet.path ?? ''}`;
  }
  if (h.sleep) return `sleep ${h.sleep.seconds}s`;
  if (h.tcpSocket) return `tcp-socket ${h.tcpSocket.host ?? ''}:${intOrString(h.tcpSocket.port as number | string)}`;
  return 'unknown';
}

function describeStatus(w: Writer, title: string, state: ContainerState): void {
  if (state.running) {
    w.write(2, `${title}:\tRunning\n`);
    w.write(3, `Started:\t${rfc1123z(state.running.startedAt)}\n`);
  } else if (state.waiting) {
    w.write(2, `${title}:\tWaiting\n`);
    if (state.waiting.reason) w.write(3, `Reason:\t${state.waiting.reason}\n`);
  } else if (state.terminated) {
    const t = state.terminated;
    w.write(2, `${title}:\tTerminated\n`);
    if (t.reason) w.write(3, `Reason:\t${t.reason}\n`);
    if (t.message) w.write(3, `Message:\t${t.message}\n`);
    w.write(3, `Exit Code:\t${t.exitCode}\n`);
    if (t.signal) w.write(3, `Signal:\t${t.signal}\n`);
    w.write(3, `Started:\t${rfc1123z(t.startedAt)}\n`);
    w.write(3, `Finished:\t${rfc1123z(t.finishedAt)}\n`);
  } else {
    w.write(2, `${title}:\tWaiting\n`);
  }
}

function describeResources(w: Writer, r: Container['resources'], level: number): void {
  if (!r) return;
  for (const [title, list] of [
    ['Limits', r.limits],
    ['Requests', r.requests],
  ] as const) {
    const names = Object.keys(list ?? {}).sort();
    if (names.length) w.write(level, `${title}:\n`);
    for (const n of names) w.write(level + 1, `${n}:\t${list![n]}\n`);
  }
}

function describeContainers(w: Writer, label: string, containers: Container[], statuses: ContainerStatus[] | undefined): void {
  const byName = new Map((statuses ?? []).map((s) => [s.name, s]));
  w.write(0, `${label}:${containers.length ? '' : ' <none>'}\n`);
  for (const c of containers) {
    const st = byName.get(c.name);
    w.write(1, `${c.name}:\n`);
    if (st) w.write(2, `Container ID:\t${st.containerID ?? ''}\n`);
    w.write(2, `Image:\t${c.image}\n`);
    if (st) w.write(2, `Image ID:\t${st.imageID}\n`);
    const ports = (c.ports ?? []).map((p) => `${p.containerPort}/${p.protocol ?? 'TCP'}`).join(', ');
    w.write(2, ports.includes(',') ? `Ports:\t${ports}\n` : `Port:\t${ports || '<none>'}\n`);
    const hostPorts = (c.ports ?? []).map((p) => `${p.hostPort ?? 0}/${p.protocol ?? 'TCP'}`).join(', ');
    w.write(2, hostPorts.includes(',') ? `Host Ports:\t${hostPorts}\n` : `Host Port:\t${hostPorts || '<none>'}\n`);
    if (c.command?.length) {
      w.write(2, 'Command:\n');
      for (const s of c.command) for (const line of s.split('\n')) w.write(3, `${line}\n`);
    }
    if (c.args?.length) {
      w.write(2, 'Args:\n');
      for (const s of c.args) for (const line of s.split('\n')) w.write(3, `${line}\n`);
    }
    if (st) {
      describeStatus(w, 'State', st.state);
      if (st.lastState.terminated) describeStatus(w, 'Last State', st.lastState);
      w.write(2, `Ready:\t${st.ready ? 'True' : 'False'}\n`);
      w.write(2, `Restart Count:\t${st.restartCount}\n`);
    }
    describeResources(w, c.resources, 2);
    if (c.livenessProbe) w.write(2, `Liveness:\t${describeProbe(c.livenessProbe)}\n`);
    if (c.readinessProbe) w.write(2, `Readiness:\t${describeProbe(c.readinessProbe)}\n`);
    if (c.startupProbe) w.write(2, `Startup:\t${describeProbe(c.startupProbe)}\n`);
    if (c.lifecycle?.postStart) w.write(2, `PostStart:\t${describeHandler(c.lifecycle.postStart)}\n`);
    if (c.lifecycle?.preStop) w.write(2, `PreStop:\t${describeHandler(c.lifecycle.preStop)}\n`);
    const env = c.env ?? [];
    w.write(2, `Environment:${env.length ? '' : '\t<none>'}\n`);
    for (const e of env) {
      if (!e.valueFrom) {
        (e.value ?? '').split('\n').forEach((s, i) => w.write(3, i === 0 ? `${e.name}:\t${s}\n` : `\t${s}\n`));
      } else if (e.valueFrom.fieldRef) {
        w.write(3, `${e.name}:\t (${e.valueFrom.fieldRef.apiVersion ?? 'v1'}:${e.valueFrom.fieldRef.fieldPath})\n`);
      } else if (e.valueFrom.resourceFieldRef) {
        w.write(3, `${e.name}:\t (${e.valueFrom.resourceFieldRef.resource})\n`);
      }
    }
    const mounts = [...(c.volumeMounts ?? [])].sort((a, b) => a.mountPath.localeCompare(b.mountPath));
    w.write(2, `Mounts:${mounts.length ? '' : '\t<none>'}\n`);
    for (const m of mounts) {
      const flags = [m.readOnly ? 'ro' : 'rw'];
      if (m.subPath) flags.push(`path=${JSON.stringify(m.subPath)}`);
      w.write(3, `${m.mountPath} from ${m.name} (${flags.join(',')})\n`);
    }
  }
}

function describeVolumes(w: Writer, volumes: Volume[] | undefined): void {
  if (!volumes?.length) {
    w.write(0, 'Volumes:\t<none>\n');
    return;
  }
  w.write(0, 'Volumes:\n');
  for (const v of volumes) {
    w.write(1, `${v.name}:\n`);
    if (v.hostPath) {
      w.write(2, `Type:\tHostPath (bare host directory volume)\n    Path:\t${v.hostPath.path}\n    HostPathType:\t${v.hostPath.type || '<none>'}\n`);
    } else if (v.emptyDir) {
      w.write(2, `Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n    Medium:\t${v.emptyDir.medium ?? ''}\n    SizeLimit:\t${v.emptyDir.sizeLimit ?? '<unset>'}\n`);
    } else if (v.downwardAPI) {
      w.write(2, 'Type:\tDownwardAPI (a volume populated by information about the pod)\n    Items:\n');
      for (const item of v.downwardAPI.items ?? []) {
        if (item.fieldRef) w.write(3, `${item.fieldRef.fieldPath} -> ${item.path}\n`);
        if (item.resourceFieldRef) w.write(3, `${item.resourceFieldRef.resource} -> ${item.path}\n`);
      }
    } else if (v.projected) {
      w.write(2, 'Type:\tProjected (a volume that contains injected data from multiple sources)\n');
      for (const s of v.projected.sources ?? []) if (s.downwardAPI) w.write(2, 'DownwardAPI:\ttrue\n');
    } else {
      w.write(1, '<unknown>\n');
    }
  }
}

/** describeEvents: sorted by their last time; Age as kubectl prints it (`5s (x3 over 40s)`). */
function describeEvents(w: Writer, events: Event[], now: number): void {
  if (!events.length) {
    w.write(0, 'Events:\t<none>\n');
    return;
  }
  const sorted = [...events].sort((a, b) => Date.parse(a.lastTimestamp) - Date.parse(b.lastTimestamp));
  w.write(0, 'Events:\n  Type\tReason\tAge\tFrom\tMessage\n');
  w.write(1, '----\t------\t----\t----\t-------\n');
  for (const e of sorted) w.write(1, `${e.type}\t${e.reason}\t${describeAge(e, now)}\t${e.source?.component ?? ''}\t${e.message.trim()}\n`);
}

/** The whole `kubectl describe pod` text. */
export function describePod(pod: Pod, events: Event[] | undefined, now: number): string {
  const w = new Writer();
  const s = pod.status ?? {};
  const m = pod.metadata;
  w.write(0, `Name:\t${m.name}\n`);
  w.write(0, `Namespace:\t${m.namespace ?? 'default'}\n`);
  if (pod.spec.priority !== undefined) w.write(0, `Priority:\t${pod.spec.priority}\n`);
  if (pod.spec.priorityClassName) w.write(0, `Priority Class Name:\t${pod.spec.priorityClassName}\n`);
  w.write(0, pod.spec.nodeName ? `Node:\t${pod.spec.nodeName}/${s.hostIP ?? ''}\n` : 'Node:\t<none>\n');
  if (s.startTime) w.write(0, `Start Time:\t${rfc1123z(s.startTime)}\n`);
  labelsMultiline(w, 'Labels', m.labels);
  annotationsMultiline(w, 'Annotations', m.annotations);
  if (m.deletionTimestamp && s.phase !== 'Failed' && s.phase !== 'Succeeded') {
    w.write(0, `Status:\tTerminating (lasts ${since(m.deletionTimestamp, now)})\n`);
    w.write(0, `Termination Grace Period:\t${m.deletionGracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30}s\n`);
  } else {
    w.write(0, `Status:\t${s.phase ?? ''}\n`);
  }
  if (s.reason) w.write(0, `Reason:\t${s.reason}\n`);
  if (s.message) w.write(0, `Message:\t${s.message}\n`);
  w.write(0, `IP:\t${s.podIP ?? ''}\n`);
  if (!s.podIPs?.length) w.write(0, 'IPs:\t<none>\n');
  else {
    w.write(0, 'IPs:\n');
    for (const ip of s.podIPs) w.write(1, `IP:\t${ip.ip}\n`);
  }
  if (pod.spec.initContainers?.length) describeContainers(w, 'Init Containers', pod.spec.initContainers, s.initContainerStatuses);
  describeContainers(w, 'Containers', pod.spec.containers, s.containerStatuses);
  if (pod.spec.ephemeralContainers?.length) describeContainers(w, 'Ephemeral Containers', pod.spec.ephemeralContainers, s.ephemeralContainerStatuses);
  if (s.conditions?.length) {
    w.write(0, 'Conditions:\n  Type\tStatus\n');
    for (const c of s.conditions) w.write(1, `${c.type} \t${c.status} \n`);
  }
  describeVolumes(w, pod.spec.volumes);
  w.write(0, `QoS Class:\t${s.qosClass ?? getPodQOS(pod)}\n`);
  labelsMultiline(w, 'Node-Selectors', pod.spec.nodeSelector);
  tolerationsMultiline(w, 'Tolerations', pod.spec.tolerations);
  if (events) describeEvents(w, events, now);
  return tabwrite(w.text, DESCRIBE_TABWRITER);
}
