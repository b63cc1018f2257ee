// Lays out a machine with elkjs (layered, nested compound states) and draws it
// as SVG. Layout runs once per distinct machine (main.ts caches the views);
// live updates only toggle attributes (active states, highlighted transition).
// ELK runs in a Web Worker (elk-worker.min.js beside main.js), so laying out a
// big chart never blocks the actor list.

import ELK from 'elkjs/lib/elk-api.js';
import { metaCategory } from '../../src/inspect/chart.js';
import {
  buildChartModel,
  EDGE_LINE_HEIGHT,
  FOLD_LINE_HEIGHT,
  transitionMatches,
  type ChartDirection,
  type ChartEdgeInfo,
  type ChartModel,
  type ElkEdgeIn,
  type ElkNodeIn,
  type FoldedTransition,
  type MeasureText,
} from '../../src/inspect/layout.js';
import type { MachineJSON } from '../../src/inspect/protocol.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
const FONT = 'system-ui, -apple-system, "Segoe UI", sans-serif';
const FONTS: Record<'title' | 'small' | 'edge', string> = {
  title: `600 13px ${FONT}`,
  small: `italic 11px ${FONT}`,
  edge: `11px ${FONT}`,
};

let ctx2d: CanvasRenderingContext2D | null | undefined;
const measure: MeasureText = (text, style) => {
  if (ctx2d === undefined) ctx2d = document.createElement('canvas').getContext('2d');
  if (!ctx2d) return text.length * 7;
  ctx2d.font = FONTS[style];
  return ctx2d.measureText(text).width;
};

let elk: InstanceType<typeof ELK> | undefined;
let layouts = 0;
/** How many ELK layouts this page has run (each cached view is laid out once). */
export function layoutCount(): number {
  return layouts;
}

export interface TakenTransitionRef {
  source?: string;
  targets: string[];
  eventType: string;
}

export interface ChartView {
  readonly machineId: string;
  readonly direction: ChartDirection;
  readonly svg: SVGSVGElement;
  readonly width: number;
  readonly height: number;
  setActive(ids: Iterable<string>): void;
  /** Highlights a taken transition (source/targets/descriptor); undefined clears. */
  highlight(t: TakenTransitionRef | undefined): void;
  /** Marks the edges of the most recent microstep (all its transitions). */
  markLast(t: TakenTransitionRef | TakenTransitionRef[] | undefined): void;
  /** Box of a state in chart coordinates (for scrolling it into view). */
  box(id: string): { x: number; y: number; w: number; h: number } | undefined;
}

function el<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number | undefined>,
  parent?: Element,
): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) e.setAttribute(k, String(v));
  parent?.appendChild(e);
  return e;
}

function text(parent: Element, x: number, y: number, s: string, cls: string, anchor = 'start'): SVGTextElement {
  const t = el('text', { x, y, class: cls, 'text-anchor': anchor }, parent);
  t.textContent = s;
  return t;
}

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** The point where the segment from a box's centre towards (tx, ty) leaves the box. */
function borderPoint(b: Box, tx: number, ty: number): { x: number; y: number } {
  const cx = b.x + b.w / 2;
  const cy = b.y + b.h / 2;
  const dx = tx - cx;
  const dy = ty - cy;
  if (dx === 0 && dy === 0) return { x: cx, y: cy };
  const s = Math.min(dx ? b.w / 2 / Math.abs(dx) : Infinity, dy ? b.h / 2 / Math.abs(dy) : Infinity);
  return { x: cx + dx * s, y: cy + dy * s };
}

export async function renderChart(machineId: string, machine: MachineJSON, direction: ChartDirection): Promise<ChartView> {
  const model: ChartModel = buildChartModel(machine, measure, direction);
  elk ??= new ELK({ workerUrl: 'elk-worker.min.js' });
  layouts++;
  const laid = (await elk.layout(model.graph as never)) as unknown as ElkNodeIn;
  const width = Math.ceil((laid.width ?? 0) + 8);
  const height = Math.ceil((laid.height ?? 0) + 8);

  const svg = el('svg', {
    xmlns: SVG_NS,
    viewBox: `-4 -4 ${width} ${height}`,
    width,
    height,
    class: 'chart-svg',
    'data-machine-id': machineId,
    'data-direction': direction,
  });
  const defs = el('defs', {}, svg);
  for (const [id, cls] of [
    ['arrow', 'arrowhead'],
    ['arrow-hl', 'arrowhead hl'],
    ['arrow-last', 'arrowhead last'],
  ] as const) {
    // userSpaceOnUse: same arrow size whatever the stroke width of a highlighted edge.
    const m = el(
      'marker',
      { id, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 8, markerHeight: 8, markerUnits: 'userSpaceOnUse', orient: 'auto-start-reverse' },
      defs,
    );
    el('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: cls }, m);
  }

  const gNodes = el('g', { class: 'nodes' }, svg);
  const gEdges = el('g', { class: 'edges' }, svg);
  const gLeaves = el('g', { class: 'leaves' }, svg);
  const gLabels = el('g', { class: 'edge-labels' }, svg);
  const gOverlay = el('g', { class: 'overlay' }, svg);
  const stateEls = new Map<string, SVGGElement>();
  const boxes = new Map<string, Box>();
  const foldEls: Array<{ f: FoldedTransition; line: SVGTextElement }> = [];

  const drawNode = (n: ElkNodeIn): void => {
    const info = model.nodes.get(n.id);
    if (!info) return;
    const x = n.x ?? 0;
    const y = n.y ?? 0;
    const w = n.width ?? 0;
    const h = n.height ?? 0;
    boxes.set(n.id, { x, y, w, h });
    const isContainer = (n.children?.length ?? 0) > 0;
    if (info.kind === 'initial') {
      el('circle', { cx: x + w / 2, cy: y + h / 2, r: w / 2, class: 'initial-marker' }, gNodes);
      return;
    }
    const category = metaCategory(info.reason, info.status);
    const g = el(
      'g',
      {
        'data-testid': 'state-node',
        'data-state-id': info.id,
        'data-kind': info.kind,
        'data-active': 'false',
        'data-category': category,
        class: `state ${info.kind}${category ? ` has-cat` : ''}`,
      },
      isContainer ? gNodes : gLeaves,
    );
    stateEls.set(info.id, g);
    const title = el('title', {}, g);
    title.textContent = [info.id, info.status && `status: ${info.status}`, info.reason && `reason: ${info.reason}`].filter(Boolean).join('\n');
    const showReason = !!info.reason && info.reason !== info.label;
    let noteY: number;
    if (info.kind === 'history') {
      el('circle', { cx: x + w / 2, cy: y + h / 2, r: w / 2, class: 'box' }, g);
      text(g, x + w / 2, y + h / 2 + 4, 'H', 'state-title', 'middle');
      return;
    } else if (isContainer) {
      el('rect', { x, y, width: w, height: h, rx: 10, class: 'box' }, g);
      if (category) el('rect', { x: x + 1, y: y + 8, width: 4, height: 16, rx: 2, class: `cat-bar cat-${category}` }, g);
      text(g, x + 12, y + 19, info.label, 'state-title');
      if (showReason) text(g, x + 12, y + 33, info.reason!, 'state-reason');
      noteY = y + (showReason ? 33 : 19) + FOLD_LINE_HEIGHT;
    } else {
      el('rect', { x, y, width: w, height: h, rx: 8, class: 'box' }, g);
      if (info.kind === 'final') el('rect', { x: x + 3, y: y + 3, width: w - 6, height: h - 6, rx: 6, class: 'inner' }, g);
      if (category) el('rect', { x: x + 1, y: y + 6, width: 4, height: h - 12, rx: 2, class: `cat-bar cat-${category}` }, g);
      const titleY = y + (showReason ? 17 : 19.5);
      text(g, x + w / 2, titleY, info.label, 'state-title', 'middle');
      if (showReason) text(g, x + w / 2, y + 31, info.reason!, 'state-reason', 'middle');
      noteY = y + (showReason ? 31 : 19.5) + FOLD_LINE_HEIGHT;
    }
    for (const f of info.folded ?? []) {
      const line = text(g, isContainer ? x + 12 : x + w / 2, noteY, `⇠ ${f.label} from ${f.sources.length} states`, 'fold-note', isContainer ? 'start' : 'middle');
      line.setAttribute('data-testid', 'folded-transition');
      line.setAttribute('data-event-type', f.eventType);
      line.setAttribute('data-target', f.target);
      const t = el('title', {}, line);
      t.textContent = `${f.label} → ${info.label} from:\n${f.sources.map((s) => `  ${s}`).join('\n')}`;
      foldEls.push({ f, line });
      noteY += FOLD_LINE_HEIGHT;
    }
    for (const c of n.children ?? []) drawNode(c);
  };
  for (const c of laid.children ?? []) drawNode(c);

  interface EdgeEl {
    info: ChartEdgeInfo;
    g: SVGGElement;
    path: SVGPathElement;
    labelEl?: SVGGElement;
    lines: SVGTextElement[];
  }
  const edgeEls: EdgeEl[] = [];
  const infoById = new Map(model.edges.map((e) => [e.id, e]));
  for (const e of (laid.edges ?? []) as ElkEdgeIn[]) {
    const info = infoById.get(e.id);
    const section = e.sections?.[0];
    if (!info || !section) continue;
    const pts = [section.startPoint, ...(section.bendPoints ?? []), section.endPoint];
    const first = info.transitions[0];
    const g = el(
      'g',
      {
        'data-testid': 'transition-edge',
        'data-source': info.source,
        'data-target': info.target,
        'data-event-type': info.initial ? 'xstate.init' : first?.eventType,
        'data-event-types': info.transitions.map((t) => t.eventType || 'always').join(' '),
        'data-guard': first?.guard,
        'data-label': info.label || undefined,
        class: info.initial ? 'edge initial' : `edge${info.transitions.every((t) => t.eventType === '') ? ' eventless' : ''}`,
      },
      gEdges,
    );
    // A reversed edge's path runs from the transition's target to its source.
    const arrowAt = info.reversed ? 'marker-start' : 'marker-end';
    const path = el('path', { d: `M ${pts.map((p) => `${p.x} ${p.y}`).join(' L ')}`, class: 'edge-line', [arrowAt]: 'url(#arrow)' }, g);
    const item: EdgeEl = { info, g, path, lines: [] };
    const label = e.labels?.[0];
    if (label && info.label) {
      const lg = el('g', { class: 'edge-label', 'data-edge': e.id }, gLabels);
      el('rect', { x: label.x, y: label.y, width: label.width, height: label.height, rx: 3, class: 'edge-label-bg' }, lg);
      let ly = (label.y ?? 0) + 11.5;
      for (const t of info.transitions) {
        if (!t.label) {
          item.lines.push(item.lines[item.lines.length - 1]!);
          continue;
        }
        const line = text(lg, (label.x ?? 0) + 4, ly, t.label, `edge-label-text${t.eventType.startsWith('xstate.after.') ? ' after' : ''}`);
        item.lines.push(line);
        ly += EDGE_LINE_HEIGHT;
      }
      item.labelEl = lg;
    }
    edgeEls.push(item);
  }

  const overlays: Record<string, SVGGElement[]> = { hl: [], last: [] };
  const drawOverlay = (cls: 'hl' | 'last', list: TakenTransitionRef[]): void => {
    for (const g of overlays[cls]!) g.remove();
    overlays[cls] = [];
    for (const { line } of foldEls) if (cls === 'hl') line.classList.remove('hl');
    for (const t of list) {
      if (!t.source) continue;
      const f = foldEls.find(({ f }) => f.sources.includes(t.source!) && f.eventType === t.eventType && (t.targets.length === 0 || t.targets.includes(f.target)));
      if (!f) continue;
      if (cls === 'hl') f.line.classList.add('hl');
      const a = boxes.get(t.source);
      const b = boxes.get(f.f.target);
      if (!a || !b) continue;
      const p = borderPoint(a, b.x + b.w / 2, b.y + b.h / 2);
      const q = borderPoint(b, a.x + a.w / 2, a.y + a.h / 2);
      const g = el('g', { class: `edge overlay ${cls}`, 'data-testid': 'transition-edge', 'data-source': t.source, 'data-target': f.f.target, 'data-event-type': f.f.eventType, 'data-folded': 'true' }, gOverlay);
      el('path', { d: `M ${p.x} ${p.y} L ${q.x} ${q.y}`, class: 'edge-line', 'marker-end': `url(#arrow-${cls})` }, g);
      overlays[cls]!.push(g);
    }
  };

  const setEdgeClass = (t: TakenTransitionRef | TakenTransitionRef[] | undefined, cls: 'hl' | 'last'): void => {
    const list = t === undefined ? [] : Array.isArray(t) ? t : [t];
    for (const item of edgeEls) {
      let on = false;
      item.info.transitions.forEach((tr, i) => {
        const match = list.some((x) => transitionMatches(item.info.source, item.info.target, tr, x));
        on ||= match;
        item.lines[i]?.classList.toggle(cls, match);
      });
      item.g.classList.toggle(cls, on);
      item.labelEl?.classList.toggle(cls, on);
      const marker = item.g.classList.contains('hl') ? 'arrow-hl' : item.g.classList.contains('last') ? 'arrow-last' : 'arrow';
      item.path.setAttribute(item.info.reversed ? 'marker-start' : 'marker-end', `url(#${marker})`);
      // Keep highlighted edges and labels above the others.
      if (on) {
        gEdges.appendChild(item.g);
        if (item.labelEl) gLabels.appendChild(item.labelEl);
      }
    }
    drawOverlay(cls, list);
  };

  return {
    machineId,
    direction,
    svg,
    width,
    height,
    setActive(ids) {
      const set = new Set(ids);
      for (const [id, g] of stateEls) {
        const on = set.has(id);
        g.setAttribute('data-active', String(on));
        g.classList.toggle('active', on);
      }
    },
    highlight(t) {
      for (const g of stateEls.values()) {
        g.removeAttribute('data-highlight');
        g.classList.remove('hl-source', 'hl-target');
      }
      setEdgeClass(t, 'hl');
      if (!t) return;
      for (const id of t.targets) {
        const g = stateEls.get(id);
        g?.classList.add('hl-target');
        g?.setAttribute('data-highlight', 'target');
      }
      if (t.source) {
        const g = stateEls.get(t.source);
        g?.classList.add('hl-source');
        g?.setAttribute('data-highlight', t.targets.includes(t.source) ? 'source target' : 'source');
      }
    },
    markLast(t) {
      setEdgeClass(t, 'last');
    },
    box(id) {
      return boxes.get(id);
    },
  };
}
