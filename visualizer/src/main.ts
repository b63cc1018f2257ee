// statelet inspector: connects to the inspection server's WebSocket (same
// origin), folds the stream into an InspectorModel and renders the actor
// tree, the selected actor's statechart, its transition log, the container
// timelines and the context. No framework: the DOM is rebuilt per pane,
// batched to one update per animation frame.

import { stateValueToString } from '../../src/inspect/chart.js';
import type { MachineJSON } from '../../src/inspect/protocol.js';
import { InspectorModel, type Change, type LogRow, type TreeNode } from '../../src/inspect/view-model.js';
import type { ChartDirection } from '../../src/inspect/layout.js';
import { renderChart, type ChartView } from './statechart.js';

const model = new InspectorModel();
let selected: string | undefined;
let selectedRow: string | undefined;
let logAll = false;
let pending: Change = { actors: new Set() };
let frameScheduled = false;
const charts = new Map<string, Promise<ChartView>>();
let shownMachine: string | undefined;
let shownChart: ChartView | undefined;
let zoom = 1;
/** 'auto' picks, per machine, the direction that fits the pane best. */
let direction: 'auto' | ChartDirection = 'auto';
/**
 * 'readable': fit the pane but never below MIN_READABLE_ZOOM (big charts then
 * scroll, following the active state); 'fit': the whole chart; 'manual': +/−.
 */
let zoomMode: 'readable' | 'fit' | 'manual' = 'readable';
let follow = true;
let lastFollowed = '';
let userScrolledAt = 0;
let lastContextText = '';

/** Below this, 11px edge labels are no longer legible. */
const MIN_READABLE_ZOOM = 0.75;
const MAX_AUTO_ZOOM = 1.25;

// ---- tiny DOM helper ----

type Attrs = Record<string, string | number | boolean | undefined | ((ev: Event) => void)>;
function h(tag: string, attrs: Attrs = {}, ...children: Array<Node | string | undefined | false>): HTMLElement {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (typeof v === 'function') e.addEventListener(k.replace(/^on/, ''), v);
    else if (k === 'class') e.className = String(v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== undefined && c !== false) e.append(c);
  return e;
}
function byId(id: string): HTMLElement {
  const e = document.getElementById(id);
  if (!e) throw new Error(`missing #${id}`);
  return e;
}

function fmtTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}
function fmtDur(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
}
/** `container.Terminating.Stopping` → `Terminating.Stopping` (the machine id is implied). */
function shortState(id: string | undefined, sessionId: string): string {
  if (!id) return '';
  const m = model.machineOf(sessionId);
  if (m && id.startsWith(`${m.id}.`)) return id.slice(m.id.length + 1);
  return id;
}
function ctxField(sessionId: string, key: string): unknown {
  const c = model.actors.get(sessionId)?.context as Record<string, unknown> | undefined;
  return c && typeof c === 'object' ? c[key] : undefined;
}

// ---- selection ----

function select(sessionId: string | undefined): void {
  if (selected === sessionId) return;
  selected = sessionId;
  const row = model.log.find((r) => r.key === selectedRow);
  if (row && row.sessionId !== sessionId) selectedRow = undefined;
  lastContextText = '';
  lastFollowed = '';
  userScrolledAt = 0;
  pending.tree = pending.log = true;
  if (sessionId) pending.actors.add(sessionId);
  schedule();
}

function selectRow(row: LogRow): void {
  selectedRow = row.key;
  if (row.sessionId !== selected && model.actors.has(row.sessionId)) select(row.sessionId);
  pending.log = true;
  if (selected) pending.actors.add(selected);
  schedule();
}

// ---- rendering ----

function schedule(): void {
  if (frameScheduled) return;
  frameScheduled = true;
  requestAnimationFrame(() => {
    frameScheduled = false;
    const ch = pending;
    pending = { actors: new Set() };
    render(ch);
  });
}

/** First container of the first pod, else the first actor: what a user opens the inspector for. */
function defaultSelection(): string | undefined {
  const roots = model.tree();
  for (const r of roots) {
    const c = r.children.find((n) => model.isContainerLike(n.actor.sessionId));
    if (c) return c.actor.sessionId;
  }
  return roots[0]?.actor.sessionId;
}

function render(ch: Change): void {
  if (!selected || !model.actors.has(selected)) {
    const first = model.synced ? defaultSelection() : undefined;
    if (first) {
      selected = first;
      ch.tree = ch.log = true;
      ch.actors.add(selected);
    }
  }
  if (ch.tree || ch.reset) renderTree();
  else for (const id of ch.actors) updateTreeNode(id);
  if (ch.reset || ch.machines || (selected && ch.actors.has(selected)) || ch.tree) renderSelected();
  if (ch.log || ch.reset) renderLog();
  renderTimeline();
  const live = [...model.actors.values()].filter((a) => a.status === 'active').length;
  byId('counts').textContent = `${live} live actor${live === 1 ? '' : 's'} · ${model.log.length} transitions`;
}

function treeNodeAttrs(sessionId: string): Record<string, string> {
  const a = model.actors.get(sessionId);
  if (!a) return {};
  const { category, reason } = a.machineId ? model.classify(a.sessionId) : { category: 'other', reason: undefined };
  return {
    'data-session-id': a.sessionId,
    'data-actor-id': a.actorId,
    'data-label': model.label(a.sessionId),
    'data-machine-id': a.machineId ?? '',
    'data-kind': a.machineId ? 'machine' : 'call',
    'data-status': a.status,
    'data-state-value': stateValueToString(a.value),
    'data-reason': reason ?? '',
    'data-category': category,
    'data-selected': String(a.sessionId === selected),
  };
}

/** What the tree shows right of an actor: its kubelet reason or state, or how it ended. */
function treeValue(sessionId: string): string {
  const a = model.actors.get(sessionId);
  if (!a) return '';
  if (a.status !== 'active') return a.machineId ? `${stateValueToString(a.value)} · ${a.status}` : a.status;
  if (!a.machineId) return 'running…';
  const { reason } = model.classify(sessionId);
  const value = stateValueToString(a.value);
  return reason && !value.split('.').includes(reason) ? `${value} · ${reason}` : value;
}

function renderTree(): void {
  const host = byId('actor-tree');
  const build = (n: TreeNode, depth: number): HTMLElement => {
    const a = n.actor;
    const attrs = treeNodeAttrs(a.sessionId);
    const label = model.label(a.sessionId);
    const badge = a.machineId ? a.machineId.replace(/~\d+$/, '') : 'call';
    const node = h(
      'div',
      {
        class: `actor-node${a.sessionId === selected ? ' selected' : ''}${a.status !== 'active' ? ' ended' : ''}${a.machineId ? '' : ' call'}`,
        'data-testid': 'actor-node',
        role: 'treeitem',
        tabindex: 0,
        style: `padding-left:${6 + depth * 14}px`,
        title: `${a.actorId} · ${a.sessionId}${a.systemId ? ` · systemId ${a.systemId}` : ''}`,
        onclick: () => select(a.sessionId),
        onkeydown: (ev) => {
          if ((ev as KeyboardEvent).key === 'Enter') select(a.sessionId);
        },
        ...attrs,
      },
      h('span', { class: `dot cat-${attrs['data-category']}` }),
      h('span', { class: 'actor-label' }, label),
      badge !== label ? h('span', { class: 'actor-machine' }, badge) : undefined,
      h('span', { class: 'actor-value' }, treeValue(a.sessionId)),
    );
    return h('div', { class: 'tree-item' }, node, ...n.children.map((c) => build(c, depth + 1)));
  };
  const roots = model.tree({ keep: selected });
  host.replaceChildren(...(roots.length ? roots.map((r) => build(r, 0)) : [h('p', { class: 'empty' }, 'No live actors yet.')]));
}

function updateTreeNode(sessionId: string): void {
  const node = byId('actor-tree').querySelector<HTMLElement>(`[data-session-id="${CSS.escape(sessionId)}"]`);
  if (!node) {
    if (model.tree({ keep: selected }).length) renderTree();
    return;
  }
  const attrs = treeNodeAttrs(sessionId);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  const a = model.actors.get(sessionId);
  const v = node.querySelector('.actor-value');
  if (v && a) v.textContent = treeValue(sessionId);
  const dot = node.querySelector('.dot');
  if (dot) dot.className = `dot cat-${attrs['data-category']}`;
  node.classList.toggle('ended', a?.status !== 'active');
}

/** Context JSON with the small, changing fields first and the big spec objects (pod, container) last. */
function orderedContext(ctx: unknown): unknown {
  if (!ctx || typeof ctx !== 'object' || Array.isArray(ctx)) return ctx;
  const entries = Object.entries(ctx as Record<string, unknown>);
  const weight = (v: unknown): number => (v && typeof v === 'object' ? JSON.stringify(v).length : 0);
  // Scalars and small objects (lastTermination, instance) first; the spec objects (pod, container, config) last.
  const heavy = (v: unknown): number => (weight(v) > 160 ? 2 : v && typeof v === 'object' ? 1 : 0);
  entries.sort((x, y) => heavy(x[1]) - heavy(y[1]));
  return Object.fromEntries(entries);
}

function renderSelected(): void {
  const box = byId('selected-actor');
  const pre = byId('actor-context');
  const a = selected ? model.actors.get(selected) : undefined;
  if (!a) {
    box.replaceChildren(h('p', { class: 'empty' }, 'Select an actor.'));
    box.removeAttribute('data-session-id');
    pre.textContent = '';
    lastContextText = '';
    showChart(undefined);
    return;
  }
  const active = model.activeStates(a.sessionId);
  const valueText = stateValueToString(a.value);
  box.setAttribute('data-session-id', a.sessionId);
  box.setAttribute('data-label', model.label(a.sessionId));
  box.setAttribute('data-actor-id', a.actorId);
  box.setAttribute('data-status', a.status);
  box.setAttribute('data-state-value', valueText);
  box.setAttribute('data-active-states', active.join(' '));
  const { category, reason, status } = a.machineId ? model.classify(a.sessionId) : { category: 'other', reason: undefined, status: undefined };
  const restarts = ctxField(a.sessionId, 'restartCount');
  const exit = model.lastExit(a.sessionId);
  const waitingMessage = ctxField(a.sessionId, 'waitingMessage');
  const row = (k: string, v: string | undefined, testid?: string): Node[] =>
    v ? [h('dt', {}, k), h('dd', testid ? { 'data-testid': testid } : {}, v)] : [];
  box.replaceChildren(
    h(
      'div',
      { class: 'sel-head' },
      h('span', { class: `dot cat-${category}` }),
      h('strong', {}, model.label(a.sessionId)),
      h('span', { class: 'actor-machine' }, a.machineId ?? a.src ?? 'call'),
      h('span', { class: `badge status-${a.status}` }, a.status),
    ),
    h(
      'dl',
      {},
      ...row('state', valueText || '—', 'selected-state'),
      ...row('container', status ? `${status}${reason ? ` · ${reason}` : ''}` : reason),
      ...row('restarts', typeof restarts === 'number' ? String(restarts) : undefined),
      ...row(
        'last exit',
        exit
          ? `${exit.exitCode ?? '?'}${exit.reason ? ` (${exit.reason})` : ''}${exit.finishedAt ? ` at ${fmtTime(exit.finishedAt)}` : ''}`
          : undefined,
      ),
      ...row('message', typeof waitingMessage === 'string' && category !== 'running' ? waitingMessage : undefined),
      ...row('actor', `${a.actorId}${a.parentId ? ` (parent ${model.label(a.parentId)})` : ''}`),
      ...row('last event', a.lastEvent),
    ),
  );
  const snap = a.snapshot as Record<string, unknown>;
  const shown: Record<string, unknown> = { status: a.status, value: a.value, context: orderedContext(a.context) };
  if (snap && 'output' in snap && snap.output !== undefined) shown.output = snap.output;
  if (snap && 'error' in snap && snap.error !== undefined) shown.error = snap.error;
  if (snap && 'children' in snap) shown.children = Object.keys((snap.children as object) ?? {});
  const textNow = JSON.stringify(shown, null, 2);
  if (textNow !== lastContextText) {
    pre.textContent = textNow;
    lastContextText = textNow;
  }
  showChart(a.sessionId);
}

function chartMessage(msg: string): void {
  const host = byId('statechart');
  host.removeAttribute('data-machine-id');
  host.replaceChildren(h('p', { class: 'empty' }, msg));
}

function showChart(sessionId: string | undefined): void {
  const host = byId('statechart');
  const a = sessionId ? model.actors.get(sessionId) : undefined;
  const machineId = a?.machineId;
  const machine = machineId ? model.machines.get(machineId) : undefined;
  byId('chart-title').textContent = machineId ? `Statechart · ${machineId}` : 'Statechart';
  if (!a || !machineId || !machine) {
    shownMachine = undefined;
    shownChart = undefined;
    chartMessage(a ? `${model.label(a.sessionId)} is a call (${a.src ?? 'no chart'}), not a state machine.` : 'Select an actor.');
    return;
  }
  const key = `${machineId}|${direction}`;
  if (shownMachine !== key) {
    shownMachine = key;
    shownChart = undefined;
    chartMessage('Laying out…');
    chartFor(machineId, machine).then(
      (view) => {
        if (shownMachine !== key) return;
        shownChart = view;
        userScrolledAt = 0;
        host.setAttribute('data-machine-id', machineId);
        host.setAttribute('data-direction', view.direction);
        host.replaceChildren(view.svg);
        if (zoomMode === 'manual') zoomMode = 'readable';
        lastFollowed = '';
        applyZoom();
        // Swapping the SVG clamps the scroll position: that is not the user scrolling.
        noteProgrammaticScroll();
        applyChartState();
      },
      (err: unknown) => {
        charts.delete(`${machineId}|RIGHT`);
        charts.delete(`${machineId}|DOWN`);
        if (shownMachine === key) chartMessage(`Layout failed: ${(err as Error)?.message ?? err}`);
      },
    );
    return;
  }
  applyChartState();
}

function layout(machineId: string, machine: MachineJSON, dir: ChartDirection): Promise<ChartView> {
  const key = `${machineId}|${dir}`;
  let p = charts.get(key);
  if (!p) {
    p = renderChart(machineId, machine, dir);
    charts.set(key, p);
  }
  return p;
}

function fitZoom(view: ChartView): number {
  const host = byId('statechart');
  return Math.min((host.clientWidth - 18) / view.width, (host.clientHeight - 18) / view.height);
}

/** The user's direction, or whichever of left-to-right / top-down shows the chart larger in the pane. */
async function chartFor(machineId: string, machine: MachineJSON): Promise<ChartView> {
  if (direction !== 'auto') return layout(machineId, machine, direction);
  const right = await layout(machineId, machine, 'RIGHT');
  if (fitZoom(right) >= 1) return right;
  const down = await layout(machineId, machine, 'DOWN');
  return fitZoom(down) > fitZoom(right) * 1.1 ? down : right;
}

function applyChartState(): void {
  if (!shownChart || !selected) return;
  const active = model.activeStates(selected);
  shownChart.setActive(active);
  const host = byId('statechart');
  host.setAttribute('data-active-states', active.join(' '));
  const row = model.log.find((r) => r.key === selectedRow && r.sessionId === selected);
  shownChart.highlight(row ? { source: row.source, targets: row.targets, eventType: row.eventType } : undefined);
  let last: LogRow | undefined;
  for (let i = model.log.length - 1; i >= 0; i--) {
    const r = model.log[i];
    if (r && r.sessionId === selected && r.source) {
      last = r;
      break;
    }
  }
  shownChart.markLast(last ? { source: last.source, targets: last.targets, eventType: last.eventType } : undefined);
  // Follow: keep the state of interest (the clicked transition's target, else the
  // deepest active state) in view when the chart is larger than the pane.
  const focus = row?.targets[0] ?? row?.source ?? active[active.length - 1];
  if (focus && follow && zoomMode !== 'fit') scrollToState(focus, row ? `row:${row.key}` : focus);
}

function scrollToState(id: string, reason: string): void {
  if (!shownChart || reason === lastFollowed) return;
  if (Date.now() - userScrolledAt < 4000 && !reason.startsWith('row:')) return;
  const b = shownChart.box(id);
  if (!b) return;
  lastFollowed = reason;
  const host = byId('statechart');
  const svg = shownChart.svg;
  const s = zoom;
  // svg is centred by margin:auto inside the host's padding.
  const offX = svg.getBoundingClientRect().left - host.getBoundingClientRect().left + host.scrollLeft;
  const offY = svg.getBoundingClientRect().top - host.getBoundingClientRect().top + host.scrollTop;
  const cx = offX + (b.x + 4 + b.w / 2) * s;
  const cy = offY + (b.y + 4 + b.h / 2) * s;
  const left = cx - host.clientWidth / 2;
  const top = cy - host.clientHeight / 2;
  const visible =
    cx - (b.w * s) / 2 >= host.scrollLeft &&
    cx + (b.w * s) / 2 <= host.scrollLeft + host.clientWidth &&
    cy - (b.h * s) / 2 >= host.scrollTop &&
    cy + (b.h * s) / 2 <= host.scrollTop + host.clientHeight;
  if (visible && !reason.startsWith('row:')) return;
  host.scrollTo({ left: Math.max(0, left), top: Math.max(0, top) });
  noteProgrammaticScroll();
}

/**
 * Where our own scrolling left the chart pane. A scroll event that finds the
 * pane there is ours (they arrive a frame later, however loaded the page);
 * any other position is the user's, and following pauses for a while.
 */
let expectedScroll = { left: 0, top: 0 };
function noteProgrammaticScroll(): void {
  const host = byId('statechart');
  expectedScroll = { left: host.scrollLeft, top: host.scrollTop };
}

function applyZoom(): void {
  if (!shownChart) return;
  const fit = fitZoom(shownChart);
  if (zoomMode === 'fit') zoom = Math.max(0.05, Math.min(MAX_AUTO_ZOOM, fit));
  else if (zoomMode === 'readable') zoom = Math.max(MIN_READABLE_ZOOM, Math.min(MAX_AUTO_ZOOM, fit));
  shownChart.svg.setAttribute('width', String(Math.round(shownChart.width * zoom)));
  shownChart.svg.setAttribute('height', String(Math.round(shownChart.height * zoom)));
  const host = byId('statechart');
  host.setAttribute('data-zoom', zoom.toFixed(3));
  byId('zoom-level').textContent = `${Math.round(zoom * 100)}%`;
  lastFollowed = '';
  noteProgrammaticScroll();
}

function renderLog(): void {
  const host = byId('transition-log');
  const rows = (logAll ? model.log : model.log.filter((r) => r.sessionId === selected)).slice(-400).reverse();
  host.replaceChildren(
    ...(rows.length
      ? rows.map((r) => {
          const target = r.targets.map((t) => shortState(t, r.sessionId)).join(', ');
          return h(
            'div',
            {
              class: `log-row kind-${r.kind}${r.key === selectedRow ? ' selected' : ''}${r.internal ? ' internal' : ''}${r.replay ? ' replay' : ''}`,
              'data-testid': 'transition-row',
              'data-key': r.key,
              'data-session-id': r.sessionId,
              'data-event': r.event,
              'data-event-type': r.eventType,
              'data-kind': r.kind,
              'data-source': r.source ?? '',
              'data-target': r.targets.join(' '),
              'data-guard': r.guard,
              'data-delay': r.delay === undefined ? undefined : String(r.delay),
              'data-selected': String(r.key === selectedRow),
              tabindex: 0,
              role: 'button',
              onclick: () => selectRow(r),
              onkeydown: (ev) => {
                if ((ev as KeyboardEvent).key === 'Enter') selectRow(r);
              },
            },
            h('span', { class: 'log-time' }, fmtTime(r.time)),
            logAll ? h('span', { class: 'log-actor' }, model.label(r.sessionId)) : undefined,
            h('span', { class: 'log-event' }, r.eventLabel),
            r.guard ? h('span', { class: 'log-guard' }, `[${r.guard}]`) : undefined,
            h(
              'span',
              { class: 'log-move' },
              r.kind === 'status'
                ? `→ ${r.status}`
                : r.internal
                  ? `${shortState(r.source, r.sessionId)} (no state change)`
                  : `${shortState(r.source, r.sessionId)} → ${target}`,
            ),
          );
        })
      : [h('p', { class: 'empty' }, selected ? 'No transitions yet.' : 'Select an actor.')]),
  );
  renderDetails();
  applyChartState();
}

function renderDetails(): void {
  const box = byId('transition-details');
  const r = model.log.find((x) => x.key === selectedRow);
  if (!r) {
    box.className = 'details empty';
    box.removeAttribute('data-key');
    box.replaceChildren('Click a transition to see it on the chart.');
    return;
  }
  box.className = 'details';
  box.setAttribute('data-key', r.key);
  box.setAttribute('data-source', r.source ?? '');
  box.setAttribute('data-target', r.targets.join(' '));
  box.setAttribute('data-event-type', r.eventType);
  const row = (k: string, v: string | undefined): Node[] => (v ? [h('dt', {}, k), h('dd', { 'data-field': k }, v)] : []);
  const after = r.kind === 'after';
  box.replaceChildren(
    h(
      'dl',
      {},
      ...row('actor', model.label(r.sessionId)),
      ...row('event', r.eventType === '' ? `always (eventless, during ${r.event})` : r.eventLabel),
      ...row('descriptor', r.eventType && r.eventType !== r.eventLabel ? r.eventType : undefined),
      ...row('caused by', r.event !== r.eventType && r.eventType !== '' ? r.event : undefined),
      ...row('guard', r.guard),
      ...row(
        'delay',
        r.delay === undefined ? undefined : typeof r.delay === 'number' ? `${r.delay}ms` : `${r.delay} (named delay${after ? ', timer expired' : ''})`,
      ),
      ...row('from', shortState(r.source, r.sessionId)),
      ...row('to', r.targets.length ? r.targets.map((t) => shortState(t, r.sessionId)).join(', ') : r.kind === 'status' ? undefined : '(no state change)'),
      ...row('result', r.kind === 'status' ? `actor ${r.status}` : r.valueText),
      ...row('time', fmtTime(r.time)),
    ),
  );
}

function renderTimeline(): void {
  const host = byId('timeline');
  const ids = model.timelineActors(selected);
  const now = model.serverNow();
  let earliest = now;
  for (const id of ids) {
    const s = model.timelines.get(id)?.segments[0];
    if (s && s.start < earliest) earliest = s.start;
  }
  const span = Math.min(120_000, Math.max(10_000, (now - earliest) * 1.05));
  const t0 = now - span;
  const pct = (t: number): number => ((Math.max(t, t0) - t0) / span) * 100;
  const rows = ids.map((id) => {
    const a = model.actors.get(id);
    const tl = model.timelines.get(id);
    const { category, reason, status: cstatus } = model.classify(id);
    const bo = model.backOff(id, now);
    const restarts = ctxField(id, 'restartCount');
    const bar = h('div', { class: 'tl-bar' });
    for (const s of tl?.segments ?? []) {
      const end = s.end ?? now;
      if (end < t0) continue;
      bar.append(
        h('div', {
          class: `tl-seg cat-${s.category}`,
          'data-testid': 'timeline-segment',
          'data-category': s.category,
          style: `left:${pct(s.start)}%;width:${Math.max(0.3, pct(end) - pct(s.start))}%`,
          title: `${s.valueText}${s.reason ? ` (${s.reason})` : ''} · ${fmtDur(end - s.start)} from ${fmtTime(s.start)}`,
        }),
      );
    }
    for (const m of tl?.markers ?? []) {
      if (m.time < t0) continue;
      bar.append(
        h(
          'div',
          {
            class: `tl-marker m-${m.kind}`,
            'data-testid': 'timeline-marker',
            'data-kind': m.kind,
            'data-label': m.label,
            style: `left:${pct(m.time)}%`,
            title: `${m.label} at ${fmtTime(m.time)}`,
          },
          m.kind === 'exit' && m.exitCode !== undefined ? h('span', { class: 'tl-code' }, String(m.exitCode)) : undefined,
        ),
      );
    }
    let status: HTMLElement;
    if (bo) {
      const frac = bo.remainingMs !== undefined && bo.until !== undefined ? Math.max(0, Math.min(1, bo.remainingMs / Math.max(1, bo.until - bo.since))) : undefined;
      status = h(
        'span',
        {
          class: 'tl-status cat-backoff-text',
          'data-testid': 'backoff-countdown',
          'data-remaining-ms': bo.remainingMs === undefined ? undefined : String(Math.round(bo.remainingMs)),
          'data-backoff-ms': bo.backOffMs === undefined ? undefined : String(bo.backOffMs),
        },
        h(
          'span',
          { class: 'tl-status-text' },
          h('b', {}, bo.reason ?? 'back-off'),
          bo.remainingMs === undefined
            ? ` for ${fmtDur(now - bo.since)}`
            : ` · restart in ${fmtDur(bo.remainingMs)}${bo.backOffMs !== undefined ? ` of ${fmtDur(bo.backOffMs)}` : ''}`,
        ),
        frac !== undefined ? h('span', { class: 'tl-countdown' }, h('span', { style: `width:${(frac * 100).toFixed(1)}%` })) : undefined,
      );
    } else {
      const text = a?.status === 'active' ? (reason ?? (cstatus ? cstatus[0]!.toUpperCase() + cstatus.slice(1) : category)) : (a?.status ?? '');
      status = h('span', { class: `tl-status cat-${category}-text` }, text);
    }
    return h(
      'div',
      {
        class: `tl-row${id === selected ? ' selected' : ''}`,
        'data-testid': 'timeline-row',
        'data-session-id': id,
        'data-label': model.label(id),
        'data-category': category,
        onclick: () => select(id),
      },
      h(
        'div',
        { class: 'tl-name' },
        h('span', {}, model.label(id)),
        typeof restarts === 'number' ? h('small', { title: 'restarts' }, ` ↻${restarts}`) : undefined,
      ),
      bar,
      status,
    );
  });
  host.replaceChildren(
    ...(rows.length
      ? [
          ...rows,
          h(
            'div',
            { class: 'tl-axis' },
            h('span', {}, ''),
            h('div', { class: 'tl-axis-bar' }, h('span', {}, `−${fmtDur(span)}`), h('span', {}, 'now')),
            h('span', { class: 'tl-legend' }, h('i', { class: 'm-start' }), 'start ', h('i', { class: 'm-exit' }), 'exit (code) ', h('i', { class: 'm-backoff' }), 'back-off'),
          ),
        ]
      : [h('p', { class: 'empty' }, 'Select an actor.')]),
  );
}

// ---- connection ----

function setConn(state: 'connecting' | 'open' | 'closed', text: string): void {
  const e = byId('connection-status');
  e.setAttribute('data-state', state);
  e.textContent = text;
}

function connect(): void {
  setConn('connecting', 'connecting…');
  // definitions=0: charts come once per machine (@statelet.machine), not with every actor.
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws?definitions=0`);
  ws.onopen = () => setConn('open', 'live');
  ws.onmessage = (ev) => {
    if (typeof ev.data !== 'string') return;
    let msg: unknown;
    try {
      msg = JSON.parse(ev.data);
    } catch {
      return;
    }
    const ch = model.apply(msg);
    if (ch.reset) {
      charts.clear();
      shownMachine = undefined;
      shownChart = undefined;
      pending.reset = true;
    }
    pending.tree ||= ch.tree;
    pending.log ||= ch.log;
    pending.machines ||= ch.machines;
    for (const id of ch.actors) pending.actors.add(id);
    schedule();
  };
  ws.onclose = () => {
    setConn('closed', 'disconnected, retrying…');
    setTimeout(connect, 1000);
  };
}

function init(): void {
  byId('log-all').addEventListener('change', (ev) => {
    logAll = (ev.target as HTMLInputElement).checked;
    pending.log = true;
    schedule();
  });
  byId('follow').addEventListener('change', (ev) => {
    follow = (ev.target as HTMLInputElement).checked;
    lastFollowed = '';
    userScrolledAt = 0;
    applyChartState();
  });
  byId('zoom-in').addEventListener('click', () => {
    zoomMode = 'manual';
    zoom = Math.min(4, zoom * 1.25);
    applyZoom();
  });
  byId('zoom-out').addEventListener('click', () => {
    zoomMode = 'manual';
    zoom = Math.max(0.05, zoom / 1.25);
    applyZoom();
  });
  byId('layout-direction').addEventListener('change', (ev) => {
    direction = (ev.target as HTMLSelectElement).value as typeof direction;
    if (selected) showChart(selected);
  });
  byId('zoom-fit').addEventListener('click', () => {
    // Toggles between the whole chart and the readable, following view.
    zoomMode = zoomMode === 'fit' ? 'readable' : 'fit';
    applyZoom();
    applyChartState();
  });
  const host = byId('statechart');
  host.addEventListener('scroll', () => {
    if (Math.abs(host.scrollLeft - expectedScroll.left) > 2 || Math.abs(host.scrollTop - expectedScroll.top) > 2) userScrolledAt = Date.now();
  });
  // In the whole-chart view, a click zooms back to a readable size around the clicked point.
  host.addEventListener('click', (ev) => {
    if (zoomMode !== 'fit' || !shownChart) return;
    const r = shownChart.svg.getBoundingClientRect();
    const fx = (ev.clientX - r.left) / r.width;
    const fy = (ev.clientY - r.top) / r.height;
    zoomMode = 'readable';
    applyZoom();
    const r2 = shownChart.svg.getBoundingClientRect();
    const hr = host.getBoundingClientRect();
    host.scrollTo({
      left: Math.max(0, host.scrollLeft + r2.left - hr.left + fx * r2.width - host.clientWidth / 2),
      top: Math.max(0, host.scrollTop + r2.top - hr.top + fy * r2.height - host.clientHeight / 2),
    });
    noteProgrammaticScroll();
    // Stay there: the user chose the place.
    userScrolledAt = Date.now();
  });
  window.addEventListener('resize', () => {
    if (zoomMode !== 'manual') applyZoom();
  });
  // Countdown and pruning of ended actors (probe runs come and go).
  setInterval(() => {
    if (model.prune(model.serverNow(), selected)) pending.tree = true;
    schedule();
  }, 250);
  connect();
}

init();
