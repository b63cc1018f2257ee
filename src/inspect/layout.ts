// Builds the ELK graph (layered, nested compound nodes) for a machine JSON.
// Pure: the browser visualizer runs elkjs on the result and draws SVG; tests
// run elkjs on it under node. Text widths come from a caller-supplied measure
// function (canvas measureText in the browser, an estimate in tests).

import { indexStates, metaReason, stateTransitions, targetId, transitionLabel } from './chart.js';
import type { MachineJSON, StateNodeJSON } from './protocol.js';

export interface ElkLabelIn {
  text: string;
  width: number;
  height: number;
  x?: number;
  y?: number;
}
export interface ElkNodeIn {
  id: string;
  width?: number;
  height?: number;
  x?: number;
  y?: number;
  layoutOptions?: Record<string, string>;
  children?: ElkNodeIn[];
  edges?: ElkEdgeIn[];
  labels?: ElkLabelIn[];
}
export interface ElkPoint {
  x: number;
  y: number;
}
export interface ElkEdgeIn {
  id: string;
  sources: string[];
  targets: string[];
  labels?: ElkLabelIn[];
  sections?: Array<{ startPoint: ElkPoint; endPoint: ElkPoint; bendPoints?: ElkPoint[] }>;
}

export type ChartNodeKind = 'root' | 'compound' | 'parallel' | 'region' | 'leaf' | 'final' | 'history' | 'initial';

export interface ChartNodeInfo {
  id: string;
  label: string;
  kind: ChartNodeKind;
  reason?: string;
  depth: number;
  /** For 'initial' markers: the compound they belong to. */
  owner?: string;
}

export interface ChartEdgeInfo {
  id: string;
  source: string;
  target: string;
  /** Transition descriptor; '' for `always`, `xstate.init` for initial markers. */
  eventType: string;
  guard?: string;
  label: string;
}

export interface ChartModel {
  graph: ElkNodeIn;
  nodes: Map<string, ChartNodeInfo>;
  edges: ChartEdgeInfo[];
}

export type MeasureText = (text: string, style: 'title' | 'small' | 'edge') => number;

/** Rough width for tests and when no canvas is available. */
export const estimateText: MeasureText = (text, style) => text.length * (style === 'title' ? 7.4 : style === 'small' ? 6 : 6.4);

export const LAYOUT_OPTIONS: Record<string, string> = {
  'elk.algorithm': 'layered',
  'elk.direction': 'RIGHT',
  'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
  'elk.json.edgeCoords': 'ROOT',
  'elk.json.shapeCoords': 'ROOT',
  'elk.edgeRouting': 'ORTHOGONAL',
  'elk.edgeLabels.placement': 'CENTER',
  'elk.spacing.nodeNode': '28',
  'elk.spacing.edgeNode': '16',
  'elk.spacing.edgeEdge': '10',
  'elk.spacing.edgeLabel': '3',
  'elk.layered.spacing.nodeNodeBetweenLayers': '44',
  'elk.layered.spacing.edgeNodeBetweenLayers': '14',
  'elk.layered.spacing.edgeEdgeBetweenLayers': '8',
  'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
};

const EDGE_LABEL_HEIGHT = 16;
const INITIAL_SIZE = 12;

export type ChartDirection = 'RIGHT' | 'DOWN';

export function buildChartModel(
  machine: MachineJSON,
  measure: MeasureText = estimateText,
  direction: ChartDirection = 'RIGHT',
): ChartModel {
  const nodes = new Map<string, ChartNodeInfo>();
  const edges: ChartEdgeInfo[] = [];
  const elkEdges: ElkEdgeIn[] = [];
  const index = indexStates(machine);

  const build = (s: StateNodeJSON, parent: StateNodeJSON | undefined, depth: number): ElkNodeIn => {
    const children = Object.values(s.states ?? {});
    const reason = metaReason(s);
    const label = parent ? s.key : s.id;
    let kind: ChartNodeKind;
    if (!parent) kind = 'root';
    else if (s.type === 'history') kind = 'history';
    else if (s.type === 'final') kind = 'final';
    else if (children.length === 0) kind = 'leaf';
    else if (s.type === 'parallel') kind = 'parallel';
    else if (parent.type === 'parallel') kind = 'region';
    else kind = 'compound';
    nodes.set(s.id, { id: s.id, label, kind, reason, depth });

    const titleW = measure(label, 'title');
    const reasonW = reason ? measure(reason, 'small') : 0;
    if (children.length === 0) {
      if (kind === 'history') return { id: s.id, width: 26, height: 26 };
      return {
        id: s.id,
        width: Math.ceil(Math.max(64, titleW + 28, reasonW + 24)),
        height: reason ? 42 : 30,
      };
    }
    const elkChildren: ElkNodeIn[] = [];
    const initialTargets =
      s.type !== 'parallel' && typeof s.initial === 'object' ? (s.initial.target ?? []).map(targetId) : [];
    if (initialTargets.length) {
      const markerId = `${s.id}::initial`;
      nodes.set(markerId, { id: markerId, label: '', kind: 'initial', depth: depth + 1, owner: s.id });
      elkChildren.push({ id: markerId, width: INITIAL_SIZE, height: INITIAL_SIZE });
      for (const t of initialTargets) {
        const id = `e${edges.length}`;
        edges.push({ id, source: markerId, target: t, eventType: 'xstate.init', label: '' });
        elkEdges.push({ id, sources: [markerId], targets: [t] });
      }
    }
    for (const c of children) elkChildren.push(build(c, s, depth + 1));
    const top = reason ? 44 : 32;
    return {
      id: s.id,
      layoutOptions: {
        'elk.padding': `[top=${top},left=14,bottom=14,right=14]`,
        'elk.nodeSize.constraints': 'MINIMUM_SIZE',
        'elk.nodeSize.minimum': `(${Math.ceil(Math.max(titleW, reasonW) + 36)}, ${top + 24})`,
      },
      children: elkChildren,
    };
  };
  const top = build(machine, undefined, 0);

  for (const s of index.values()) {
    for (const t of stateTransitions(s)) {
      for (const raw of t.target ?? []) {
        const target = targetId(raw);
        if (!index.has(target)) continue;
        const id = `e${edges.length}`;
        const label = transitionLabel(t, s);
        const guard = typeof t.guard === 'string' ? t.guard : undefined;
        edges.push({ id, source: s.id, target, eventType: t.eventType, guard, label });
        elkEdges.push({
          id,
          sources: [s.id],
          targets: [target],
          labels: [{ text: label, width: Math.ceil(measure(label, 'edge') + 8), height: EDGE_LABEL_HEIGHT }],
        });
      }
    }
  }

  return {
    graph: { id: '__chart__', layoutOptions: { ...LAYOUT_OPTIONS, 'elk.direction': direction }, children: [top], edges: elkEdges },
    nodes,
    edges,
  };
}
