// Lays out a machine with elkjs (layered, nested compound states) and draws it
// as SVG. Layout runs once per distinct machine; live updates only toggle
// attributes (active states, highlighted transition).

import ELK from 'elkjs/lib/elk.bundled.js';
import {
  buildChartModel,
  type ChartDirection,
  type ChartEdgeInfo,
  type ChartModel,
  type ElkEdgeIn,
  type ElkNodeIn,
  type MeasureText,
} from '../../src/inspect/layout.js';
import type { MachineJSON } from '../../src/inspect/protocol.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
const FONTS: Record<'title' | 'small' | 'edge', string> = {
  title: '600 13px system-ui, -apple-system, "Segoe UI", sans-serif',
  small: 'italic 11px system-ui, -apple-system, "Segoe UI", sans-serif',
  edge: '11.5px system-ui, -apple-system, "Segoe UI", sans-serif',
};

let ctx2d: CanvasRenderingContext2D | null | undefined;
const measure: MeasureText = (text, style) => {
  if (ctx2d === undefined) ctx2d = document.createElement('canvas').getContext('2d');
  if (!ctx2d) return text.length * 7;
  ctx2d.font = FONTS[style];
  return ctx2d.measureText(text).width;
};

let elk: InstanceType<typeof ELK> | undefined;

export interface ChartView {
  readonly machineId: string;
  readonly direction: ChartDirection;
  readonly svg: SVGSVGElement;
  readonly width: number;
  readonly height: number;
  setActive(ids: Iterable<string>): void;
  /** Highlights a taken transition (source/targets/descriptor); undefined clears. */
  highlight(t: { source?: string; targets: string[]; eventType: string } | undefined): void;
  /** Marks the edges of the most recent transition. */
  markLast(t: { source?: string; targets: string[]; eventType: string } | undefined): void;
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

function edgeMatches(e: ChartEdgeInfo, t: { source?: string; targets: string[]; eventType: string }): boolean {
  return e.source === t.source && e.eventType === t.eventType && (t.targets.length === 0 || t.targets.includes(e.target));
}

export async function renderChart(machineId: string, machine: MachineJSON, direction: ChartDirection): Promise<ChartView> {
  const model: ChartModel = buildChartModel(machine, measure, direction);
  elk ??= new ELK();
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
      { id, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 9, markerHeight: 9, markerUnits: 'userSpaceOnUse', orient: 'auto-start-reverse' },
      defs,
    );
    el('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: cls }, m);
  }

  const gNodes = el('g', { class: 'nodes' }, svg);
  const gEdges = el('g', { class: 'edges' }, svg);
  const gLeaves = el('g', { class: 'leaves' }, svg);
  const gLabels = el('g', { class: 'edge-labels' }, svg);
  const stateEls = new Map<string, SVGGElement>();

  const drawNode = (n: ElkNodeIn): void => {
    const info = model.nodes.get(n.id);
    if (!info) return;
    const x = n.x ?? 0;
    const y = n.y ?? 0;
    const w = n.width ?? 0;
    const h = n.height ?? 0;
    const isContainer = (n.children?.length ?? 0) > 0;
    if (info.kind === 'initial') {
      el('circle', { cx: x + w / 2, cy: y + h / 2, r: w / 2, class: 'initial-marker' }, gNodes);
      return;
    }
    const g = el(
      'g',
      {
        'data-testid': 'state-node',
        'data-state-id': info.id,
        'data-kind': info.kind,
        'data-active': 'false',
        class: `state ${info.kind}`,
      },
      isContainer ? gNodes : gLeaves,
    );
    stateEls.set(info.id, g);
    const title = el('title', {}, g);
    title.textContent = info.reason ? `${info.id}\nreason: ${info.reason}` : info.id;
    if (info.kind === 'history') {
      el('circle', { cx: x + w / 2, cy: y + h / 2, r: w / 2, class: 'box' }, g);
      text(g, x + w / 2, y + h / 2 + 4, 'H', 'state-title', 'middle');
    } else if (isContainer) {
      el('rect', { x, y, width: w, height: h, rx: 10, class: 'box' }, g);
      text(g, x + 12, y + 20, info.label, 'state-title');
      if (info.reason) text(g, x + 12, y + 35, info.reason, 'state-reason');
    } else {
      el('rect', { x, y, width: w, height: h, rx: 8, class: 'box' }, g);
      if (info.kind === 'final') el('rect', { x: x + 3, y: y + 3, width: w - 6, height: h - 6, rx: 6, class: 'inner' }, g);
      text(g, x + w / 2, y + (info.reason ? 18 : h / 2 + 4.5), info.label, 'state-title', 'middle');
      if (info.reason) text(g, x + w / 2, y + 33, info.reason, 'state-reason', 'middle');
    }
    for (const c of n.children ?? []) drawNode(c);
  };
  for (const c of laid.children ?? []) drawNode(c);

  const edgeEls: Array<{ info: ChartEdgeInfo; g: SVGGElement }> = [];
  const infoById = new Map(model.edges.map((e) => [e.id, e]));
  for (const e of (laid.edges ?? []) as ElkEdgeIn[]) {
    const info = infoById.get(e.id);
    const section = e.sections?.[0];
    if (!info || !section) continue;
    const pts = [section.startPoint, ...(section.bendPoints ?? []), section.endPoint];
    const g = el(
      'g',
      {
        'data-testid': 'transition-edge',
        'data-source': info.source,
        'data-target': info.target,
        'data-event-type': info.eventType,
        'data-guard': info.guard,
        class: info.eventType === 'xstate.init' ? 'edge initial' : 'edge',
      },
      gEdges,
    );
    el('path', { d: `M ${pts.map((p) => `${p.x} ${p.y}`).join(' L ')}`, class: 'edge-line', 'marker-end': 'url(#arrow)' }, g);
    const label = e.labels?.[0];
    if (label && info.label) {
      const lg = el('g', { class: 'edge-label', 'data-edge': e.id }, gLabels);
      el('rect', { x: label.x, y: label.y, width: label.width, height: label.height, rx: 3, class: 'edge-label-bg' }, lg);
      text(lg, (label.x ?? 0) + 4, (label.y ?? 0) + 12, info.label, 'edge-label-text');
      g.dataset.label = info.label;
      (g as SVGGElement & { labelEl?: SVGGElement }).labelEl = lg;
    }
    edgeEls.push({ info, g });
  }

  const setEdgeClass = (t: { source?: string; targets: string[]; eventType: string } | undefined, cls: string): void => {
    for (const { info, g } of edgeEls) {
      const on = !!t && edgeMatches(info, t);
      g.classList.toggle(cls, on);
      (g as SVGGElement & { labelEl?: SVGGElement }).labelEl?.classList.toggle(cls, on);
      const marker = g.classList.contains('hl') ? 'arrow-hl' : g.classList.contains('last') ? 'arrow-last' : 'arrow';
      g.querySelector('path')?.setAttribute('marker-end', `url(#${marker})`);
    }
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
  };
}
