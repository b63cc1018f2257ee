// statelet inspector: connects to the inspection server's WebSocket (same
// origin), or replays a recorded run (/replay.json, `statelet visualize`),
// folds the stream into an InspectorModel and renders the actor list, the
// selected actor's statechart, its transition log, the timelines of its pod's
// containers, the pod's status and the context. No framework: panes are
// updated at most once per animation frame; the actor list reconciles rows.

import { stateValueToString } from '../../src/inspect/chart.js';
import type { MachineJSON, ReplayData, ReplayEvent } from '../../src/inspect/protocol.js';
import { InspectorModel, type Change, type LogRow } from '../../src/inspect/view-model.js';
import type { ChartDirection } from '../../src/inspect/layout.js';
import { byId, fmtAge, fmtDur, fmtTime, h } from './dom.js';
import { loadReplay, ReplayPlayer } from './replay.js';
import { layoutCount, renderChart, type ChartView, type TakenTransitionRef } from './statechart.js';
import { ActorList } from './tree.js';

const model = new InspectorModel();
let selected: string | undefined;
let selectedRow: string | undefined;
let logAll = false;
let pending: Change = { actors: new Set() };
let frameScheduled = false;
/** Laid-out charts by machine content and direction: a reconnect or a replay seek reuses them. */
const charts = new Map<string, Promise<ChartView>>();
const contentKeys = new WeakMap<MachineJSON, string>();
let shownKey: string | undefined;
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
let replay: ReplayPlayer | undefined;
/** When the current selection was made, until its chart is on screen (data-select-ms). */
let selectStartedAt: number | undefined;

/** Below this, 11px edge labels are no longer legible. */
const MIN_READABLE_ZOOM = 0.75;
const MAX_AUTO_ZOOM = 1.25;

const tree = new ActorList(byId('actor-tree'), model, (id) => select(id), () => {
  pending.tree = true;
  schedule();
});

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
function filtering(): boolean {
  const f = tree.filter;
  return !!(f.name || f.namespace || f.state);
}

// ---- selection ----

function select(sessionId: string | undefined): void {
  if (selected === sessionId) return;
  selected = sessionId;
  selectStartedAt = sessionId ? performance.now() : undefined;
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
  // In a replay, a row is also a point in time: go there.
  if (replay && replay.position !== row.time) seekTo(row.time);
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
  // In a replay the chosen actor stays chosen at times it does not exist yet (or any more).
  if (!selected || (!model.actors.has(selected) && !replay)) {
    const first = model.synced ? defaultSelection() : undefined;
    if (first) {
      selected = first;
      ch.tree = ch.log = true;
      ch.actors.add(selected);
    }
  }
  let treeDone = false;
  if (ch.tree || ch.reset || (filtering() && ch.actors.size > 0)) {
    renderTree();
    treeDone = true;
  } else {
    for (const id of ch.actors) {
      if (!tree.update(id, selected) && model.actors.has(id) && !treeDone) {
        renderTree();
        treeDone = true;
      }
    }
  }
  const root = selected ? model.rootOf(selected) : undefined;
  if (ch.reset || ch.machines || ch.tree || (selected && ch.actors.has(selected)) || (root && ch.actors.has(root))) renderSelected();
  if (ch.log || ch.reset) renderLog();
  renderTimeline();
  if (replay) renderEvents();
  renderCounts();
  if (ch.machines || ch.reset) prewarmCharts();
}

function renderCounts(): void {
  let pods = 0;
  let containers = 0;
  let live = 0;
  for (const a of model.actors.values()) {
    if (a.status === 'active') live++;
    if (!a.machineId) continue;
    if (!a.parentId) pods++;
    else if (model.isContainerLike(a.sessionId)) containers++;
  }
  const shown = filtering() ? ` (${tree.shownPods} shown)` : '';
  byId('counts').textContent = `${pods} pod${pods === 1 ? '' : 's'}${shown} · ${containers} container${containers === 1 ? '' : 's'} · ${live} live actor${live === 1 ? '' : 's'} · ${model.log.length} transitions`;
}

let knownNamespaces = '';
let knownStates = '';
function renderTree(): void {
  const t0 = performance.now();
  tree.render(selected);
  const host = byId('actor-tree');
  host.setAttribute('data-pods', String(tree.totalPods));
  host.setAttribute('data-shown-pods', String(tree.shownPods));
  // The script's share of a list update (the browser's layout comes after).
  host.setAttribute('data-render-ms', (performance.now() - t0).toFixed(1));
  const callsBox = byId('show-calls') as HTMLInputElement;
  callsBox.checked = tree.showCalls();
  // Namespace choices and state suggestions follow what is there.
  const ns = tree.namespaces.join('\n');
  if (ns !== knownNamespaces) {
    knownNamespaces = ns;
    const sel = byId('filter-namespace') as HTMLSelectElement;
    const value = sel.value;
    sel.replaceChildren(h('option', { value: '' }, 'all namespaces'), ...tree.namespaces.map((n) => h('option', { value: n }, n)));
    sel.value = tree.namespaces.includes(value) ? value : '';
  }
  const states = new Set<string>();
  for (const a of model.actors.values()) {
    if (!a.machineId || states.size > 60) continue;
    const { reason } = model.classify(a.sessionId);
    if (reason) states.add(reason);
    const phase = model.podStatuses.get(a.sessionId)?.status.phase;
    if (typeof phase === 'string') states.add(phase);
  }
  const st = [...states].sort().join('\n');
  if (st !== knownStates) {
    knownStates = st;
    byId('state-options').replaceChildren(...[...states].sort().map((s) => h('option', { value: s })));
  }
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
  renderPodStatus();
  if (!a) {
    box.replaceChildren(h('p', { class: 'empty' }, selected && replay ? `${selected.replace(/^replay:/, '')} does not exist at this point of the run.` : 'Select an actor.'));
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

/** The selected actor's pod: its v1 status as last reported (phase, conditions, containers). */
function renderPodStatus(): void {
  const box = byId('pod-status');
  const root = selected ? model.rootOf(selected) : undefined;
  const ps = root ? model.podStatuses.get(root) : undefined;
  if (!root || !ps) {
    box.hidden = true;
    box.removeAttribute('data-phase');
    box.replaceChildren();
    return;
  }
  box.hidden = false;
  const st = ps.status as Record<string, any>;
  const view = model.podView(root);
  box.setAttribute('data-phase', String(st.phase ?? ''));
  box.setAttribute('data-uid', ps.uid);
  box.setAttribute('data-time', String(ps.time));
  const conds = Array.isArray(st.conditions) ? (st.conditions as Array<Record<string, unknown>>) : [];
  const containers: Array<[string, Record<string, any>]> = [];
  for (const [k, kind] of [['initContainerStatuses', 'init'], ['containerStatuses', ''], ['ephemeralContainerStatuses', 'ephemeral']] as const) {
    if (Array.isArray(st[k])) for (const c of st[k] as Array<Record<string, any>>) containers.push([kind, c]);
  }
  const stateOf = (c: Record<string, any>): [string, string] => {
    const s = (c.state ?? {}) as Record<string, any>;
    if (s.running) return ['running', 'Running'];
    if (s.terminated) return ['terminated', String(s.terminated.reason ?? `exit ${s.terminated.exitCode}`)];
    return ['waiting', String(s.waiting?.reason ?? 'Waiting')];
  };
  box.replaceChildren(
    h(
      'div',
      { class: 'pod-head' },
      h('strong', {}, `${view.namespace ? `${view.namespace}/` : ''}${view.name}`),
      h('span', { class: `phase phase-${st.phase}` }, String(st.phase ?? '?')),
      h('span', { class: 'muted' }, `status at ${fmtTime(ps.time)}`),
    ),
    h(
      'table',
      { class: 'pod-containers' },
      h('tr', {}, h('th', {}, 'container'), h('th', {}, 'state'), h('th', {}, 'ready'), h('th', {}, 'restarts')),
      ...containers.map(([kind, c]) => {
        const [state, reason] = stateOf(c);
        return h(
          'tr',
          {
            'data-testid': 'pod-status-container',
            'data-name': String(c.name),
            'data-state': state,
            'data-reason': reason,
            'data-ready': String(c.ready === true),
            'data-restarts': String(c.restartCount ?? 0),
          },
          h('td', {}, `${c.name}${kind ? ` (${kind})` : ''}`),
          h('td', { class: `cstate cstate-${state}` }, reason),
          h('td', {}, c.ready ? 'yes' : 'no'),
          h('td', {}, String(c.restartCount ?? 0)),
        );
      }),
    ),
    conds.length
      ? h('div', { class: 'conditions' }, ...conds.map((c) => h('span', { class: `cond cond-${c.status}`, title: String(c.reason ?? '') }, `${c.type}=${c.status}`)))
      : '',
  );
}

function chartMessage(msg: string): void {
  const host = byId('statechart');
  host.removeAttribute('data-machine-id');
  host.removeAttribute('data-session-id');
  host.replaceChildren(h('p', { class: 'empty' }, msg));
}

/** A machine's identity for the layout cache: its content (ids repeat across reconnects and runs). */
function contentKey(machine: MachineJSON): string {
  let k = contentKeys.get(machine);
  if (!k) {
    // FNV-1a over the JSON text: same chart, same key.
    const text = JSON.stringify(machine);
    let hsh = 0x811c9dc5;
    for (let i = 0; i < text.length; i++) {
      hsh ^= text.charCodeAt(i);
      hsh = Math.imul(hsh, 0x01000193);
    }
    k = `${machine.id}#${(hsh >>> 0).toString(36)}:${text.length}`;
    contentKeys.set(machine, k);
  }
  return k;
}

function showChart(sessionId: string | undefined): void {
  const host = byId('statechart');
  const a = sessionId ? model.actors.get(sessionId) : undefined;
  const machineId = a?.machineId;
  const machine = machineId ? model.machines.get(machineId) : undefined;
  byId('chart-title').textContent = machineId ? `Statechart · ${machineId}` : 'Statechart';
  if (!a || !machineId || !machine) {
    shownKey = undefined;
    shownChart = undefined;
    chartMessage(a ? `${model.label(a.sessionId)} is a call (${a.src ?? 'no chart'}), not a state machine.` : 'Select an actor.');
    return;
  }
  const key = `${contentKey(machine)}|${direction}`;
  if (shownKey !== key) {
    shownKey = key;
    shownChart = undefined;
    const show = (view: ChartView): void => {
      if (shownKey !== key) return;
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
    };
    const p = chartFor(machine);
    p.then(show, (err: unknown) => {
      charts.delete(`${contentKey(machine)}|RIGHT`);
      charts.delete(`${contentKey(machine)}|DOWN`);
      if (shownKey === key) chartMessage(`Layout failed: ${(err as Error)?.message ?? err}`);
    });
    if (shownKey === key && !shownChart) chartMessage('Laying out…');
    return;
  }
  applyChartState();
}

function layout(machine: MachineJSON, dir: ChartDirection): Promise<ChartView> {
  const key = `${contentKey(machine)}|${dir}`;
  let p = charts.get(key);
  if (!p) {
    p = renderChart(machine.id, machine, dir).then((view) => {
      byId('statechart').setAttribute('data-layouts', String(layoutCount()));
      return view;
    });
    charts.set(key, p);
  }
  return p;
}

function fitZoom(view: ChartView): number {
  const host = byId('statechart');
  return Math.min((host.clientWidth - 18) / view.width, (host.clientHeight - 18) / view.height);
}

/** The user's direction, or whichever of left-to-right / top-down shows the chart larger in the pane. */
async function chartFor(machine: MachineJSON): Promise<ChartView> {
  if (direction !== 'auto') return layout(machine, direction);
  const right = await layout(machine, 'RIGHT');
  if (fitZoom(right) >= 1) return right;
  const down = await layout(machine, 'DOWN');
  return fitZoom(down) > fitZoom(right) * 1.1 ? down : right;
}

/** Lays out every machine that has actors ahead of time (in the worker), so a first selection finds its chart ready. */
let prewarmScheduled = false;
function prewarmCharts(): void {
  if (prewarmScheduled) return;
  prewarmScheduled = true;
  setTimeout(() => {
    prewarmScheduled = false;
    const ids = new Set<string>();
    for (const a of model.actors.values()) if (a.machineId) ids.add(a.machineId);
    for (const id of ids) {
      const m = model.machines.get(id);
      if (m) chartFor(m).catch(() => {});
    }
  }, 50);
}

/** The transitions of the actor's latest microstep (one per row of that step). */
function lastStep(sessionId: string): TakenTransitionRef[] {
  let seq: number | undefined;
  const out: TakenTransitionRef[] = [];
  for (let i = model.log.length - 1; i >= 0; i--) {
    const r = model.log[i]!;
    if (r.sessionId !== sessionId || !r.source) continue;
    if (seq === undefined) seq = r.seq;
    if (r.seq !== seq) break;
    out.unshift({ source: r.source, targets: r.targets, eventType: r.eventType });
  }
  return out;
}

function applyChartState(): void {
  if (!shownChart || !selected) return;
  const active = model.activeStates(selected);
  shownChart.setActive(active);
  const host = byId('statechart');
  host.setAttribute('data-active-states', active.join(' '));
  host.setAttribute('data-session-id', selected);
  const row = model.log.find((r) => r.key === selectedRow && r.sessionId === selected);
  shownChart.highlight(row ? { source: row.source, targets: row.targets, eventType: row.eventType } : undefined);
  const last = lastStep(selected);
  shownChart.markLast(last.length ? last : undefined);
  host.setAttribute('data-last-transition', last.map((t) => `${t.source}>${t.targets.join(',')}`).join(' '));
  if (selectStartedAt !== undefined) {
    // Select → chart on screen: the frame after this one has painted it.
    const t0 = selectStartedAt;
    const id = selected;
    selectStartedAt = undefined;
    requestAnimationFrame(() => {
      host.setAttribute('data-select-ms', (performance.now() - t0).toFixed(1));
      host.setAttribute('data-select-for', id);
    });
  }
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
              'data-time': String(r.time),
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
    box.replaceChildren(replay ? 'Click a transition to go to it and see it on the chart.' : 'Click a transition to see it on the chart.');
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
      ...row('recorded', r.inferred ? 'the states were recorded; this path between them is inferred from the chart' : undefined),
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
      const end = Math.min(s.end ?? now, now);
      if (end < t0 || s.start > now) continue;
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
      if (m.time < t0 || m.time > now) continue;
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
        'data-restarts': typeof restarts === 'number' ? String(restarts) : undefined,
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
            h('div', { class: 'tl-axis-bar' }, h('span', {}, `−${fmtDur(span)}`), h('span', {}, replay ? fmtTime(now) : 'now')),
            h(
              'span',
              { class: 'tl-legend' },
              h('i', { class: 'm-start' }),
              'start ',
              h('i', { class: 'm-exit' }),
              'exit (code) ',
              h('i', { class: 'm-backoff' }),
              'back-off ',
              h('i', { class: 'm-probe' }),
              'probe failed',
            ),
          ),
        ]
      : [h('p', { class: 'empty' }, 'Select an actor.')]),
  );
}

// ---- replay ----

/** Events of the selected actor's pod as `kubectl describe` shows them, at the scrubber's time. */
function renderEvents(): void {
  if (!replay) return;
  const host = byId('events');
  const root = selected ? model.rootOf(selected) : undefined;
  const pod = root ? model.podView(root) : undefined;
  const t = replay.position;
  const list = replay.eventsAt(t, pod ? { uid: pod.uid, name: pod.name, namespace: pod.namespace } : undefined);
  host.setAttribute('data-count', String(list.length));
  host.setAttribute('data-time', String(t));
  const from = (ev: ReplayEvent): string => (ev.involvedObject?.fieldPath ? `kubelet · ${ev.involvedObject.fieldPath}` : 'kubelet');
  host.replaceChildren(
    list.length
      ? h(
          'table',
          { class: 'events' },
          h('tr', {}, h('th', {}, 'Type'), h('th', {}, 'Reason'), h('th', {}, 'Age'), h('th', {}, 'From'), h('th', {}, 'Message')),
          ...list.map((ev) =>
            h(
              'tr',
              {
                'data-testid': 'event-row',
                'data-type': ev.type ?? '',
                'data-reason': ev.reason ?? '',
                'data-count': String(ev.count ?? 1),
                'data-field-path': ev.involvedObject?.fieldPath ?? '',
                class: ev.type === 'Warning' ? 'warning' : '',
              },
              h('td', {}, ev.type ?? ''),
              h('td', {}, ev.reason ?? ''),
              h('td', {}, `${fmtAge(t - ev.at)}${(ev.count ?? 1) > 1 ? ` (x${ev.count})` : ''}`),
              h('td', {}, from(ev)),
              h('td', { class: 'ev-msg' }, ev.message ?? ''),
            ),
          ),
        )
      : h('p', { class: 'empty' }, 'No events yet at this point.'),
  );
}

function seekTo(t: number): void {
  if (!replay) return;
  const rebuilt = replay.seek(t);
  const scrubber = byId('replay-scrubber') as HTMLInputElement;
  const offset = Math.round(replay.position - replay.start);
  if (Number(scrubber.value) !== offset) scrubber.value = String(offset);
  const label = byId('replay-time');
  label.setAttribute('data-time', String(replay.position));
  label.setAttribute('data-offset-ms', String(offset));
  label.textContent = `${fmtTime(replay.position)} · +${fmtDur(offset)} of ${fmtDur(replay.end - replay.start)}`;
  pending.tree = pending.log = true;
  if (rebuilt) pending.machines = true;
  if (selected) pending.actors.add(selected);
  schedule();
}

function startReplay(data: ReplayData): void {
  replay = new ReplayPlayer(data, model);
  document.body.classList.add('replaying');
  byId('replay-bar').hidden = false;
  byId('events-pane').hidden = false;
  const conn = byId('connection-status');
  conn.setAttribute('data-state', 'replay');
  conn.textContent = `replay · ${data.source || 'recording'}`;
  const scrubber = byId('replay-scrubber') as HTMLInputElement;
  scrubber.max = String(Math.max(0, data.end - data.start));
  const player = replay;
  let playing: ReturnType<typeof setInterval> | undefined;
  const play = byId('replay-play');
  const stop = (): void => {
    if (playing) clearInterval(playing);
    playing = undefined;
    play.textContent = '▶ play';
    play.setAttribute('data-playing', 'false');
  };
  play.addEventListener('click', () => {
    if (playing) return stop();
    if (player.position >= player.end) seekTo(player.start);
    play.textContent = 'pause';
    play.setAttribute('data-playing', 'true');
    let last = performance.now();
    playing = setInterval(() => {
      const now = performance.now();
      const speed = Number((byId('replay-speed') as HTMLSelectElement).value) || 1;
      seekTo(player.position + (now - last) * speed);
      last = now;
      if (player.position >= player.end) stop();
    }, 50);
  });
  scrubber.addEventListener('input', () => {
    stop();
    seekTo(player.start + Number(scrubber.value));
  });
  const step = (dir: 1 | -1): void => {
    stop();
    const times = player.transitionTimes(selected);
    const all = times.length ? times : player.transitionTimes();
    const here = player.position;
    const next = dir > 0 ? all.find((x) => x > here) : [...all].reverse().find((x) => x < here);
    if (next !== undefined) seekTo(next);
  };
  byId('replay-prev').addEventListener('click', () => step(-1));
  byId('replay-next').addEventListener('click', () => step(1));
  scrubber.addEventListener('keydown', (ev) => {
    const k = (ev as KeyboardEvent).key;
    if (k === 'ArrowLeft' || k === 'ArrowRight') {
      ev.preventDefault();
      step(k === 'ArrowRight' ? 1 : -1);
    }
  });
  // Open at the end: the whole run is on the timelines; scrub back from there.
  seekTo(player.end);
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
      // Laid-out charts stay cached (keyed by content); only what is shown is redone.
      shownKey = undefined;
      shownChart = undefined;
      pending.reset = true;
    }
    pending.tree ||= ch.tree;
    pending.log ||= ch.log;
    pending.machines ||= ch.machines;
    pending.pods ||= ch.pods;
    for (const id of ch.actors) pending.actors.add(id);
    schedule();
  };
  ws.onclose = () => {
    setConn('closed', 'disconnected, retrying…');
    setTimeout(connect, 1000);
  };
}

async function init(): Promise<void> {
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
  // ---- actor list filters ----
  const refilter = (): void => {
    tree.filter = {
      name: (byId('filter-name') as HTMLInputElement).value,
      namespace: (byId('filter-namespace') as HTMLSelectElement).value,
      state: (byId('filter-state') as HTMLInputElement).value,
    };
    pending.tree = true;
    schedule();
  };
  for (const id of ['filter-name', 'filter-state']) byId(id).addEventListener('input', refilter);
  byId('filter-namespace').addEventListener('change', refilter);
  byId('show-calls').addEventListener('change', (ev) => {
    tree.callsMode = (ev.target as HTMLInputElement).checked;
    pending.tree = true;
    schedule();
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
  const data = await loadReplay();
  if (data) {
    startReplay(data);
    return;
  }
  // Countdown and pruning of ended actors (probe runs come and go).
  setInterval(() => {
    if (model.prune(model.serverNow(), selected)) pending.tree = true;
    schedule();
  }, 250);
  connect();
}

void init();
