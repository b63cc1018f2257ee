// Builds the ELK graph (layered, nested compound nodes) for a machine JSON.
// Pure: the browser visualizer runs elkjs on the result and draws SVG; tests
// run elkjs on it under node. Text widths come from a caller-supplied measure
// function (canvas measureText in the browser, an estimate in tests).
//
// Large charts (statelet's container machine has ~30 states and ~90
// transitions) are unreadable when every transition is its own labelled edge,
// so the model simplifies the drawing without losing any transition:
// - transitions between the same two states share one edge whose label has
//   one line per transition (Running → Terminating carries KILL, DELETE, ...);
// - a transition taken to the same target on the same event from many states
//   (DELETE → Exited from 11 states) is "folded": drawn once as a note on its
//   target instead of as 11 edges, and drawn as an overlay when it is taken.

import { indexStates, metaReason, stateTransitions, targetId, transitionLabel, describeEventType } from './chart.js';
import type { MachineJSON, StateNodeJSON, TransitionJSON } from './protocol.js';

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
  /** `meta.status` (statelet's container states: waiting | running | terminated). */
  status?: string;
  depth: number;
  /** For 'initial' markers: the compound they belong to. */
  owner?: string;
  /** Folded transitions into this state, shown as a note under its title. */
  folded?: FoldedTransition[];
}

/** One transition of the machine as drawn (a line of an edge label). */
export interface ChartTransition {
  /** Transition descriptor; '' for `always`, `xstate.init` for initial markers. */
  eventType: string;
  guard?: string;
  /** `after` delay as configured. */
  delay?: string | number;
  label: string;
}

export interface ChartEdgeInfo {
  id: string;
  source: string;
  target: string;
  /** The transitions this edge stands for, one label line each (empty for initial markers). */
  transitions: ChartTransition[];
  /** Label lines joined by '\n'. */
  label: string;
  initial?: boolean;
  /** Given to ELK target → source (a back edge); the path then runs from target to source. */
  reversed?: boolean;
}

/** A transition on one event to one target from many states, drawn as a note on the target. */
export interface FoldedTransition {
  eventType: string;
  guard?: string;
  target: string;
  sources: string[];
  label: string;
}

export interface ChartModel {
  graph: ElkNodeIn;
  nodes: Map<string, ChartNodeInfo>;
  edges: ChartEdgeInfo[];
  folded: FoldedTransition[];
}

export type MeasureText = (text: string, style: 'title' | 'small' | 'edge') => number;

/** Rough width for tests and when no canvas is available. */
export const estimateText: MeasureText = (text, style) => text.length * (style === 'title' ? 7.4 : style === 'small' ? 6 : 6.2);

export const LAYOUT_OPTIONS: Record<string, string> = {
  'elk.algorithm': 'layered',
  'elk.direction': 'RIGHT',
  'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
  'elk.json.edgeCoords': 'ROOT',
  'elk.json.shapeCoords': 'ROOT',
  'elk.edgeRouting': 'ORTHOGONAL',
  'elk.edgeLabels.placement': 'CENTER',
  'elk.spacing.nodeNode': '24',
  'elk.spacing.edgeNode': '14',
  'elk.spacing.edgeEdge': '8',
  'elk.spacing.edgeLabel': '3',
  'elk.layered.spacing.nodeNodeBetweenLayers': '36',
  'elk.layered.spacing.edgeNodeBetweenLayers': '12',
  'elk.layered.spacing.edgeEdgeBetweenLayers': '7',
  // States are declared in the order the kubelet walks them: keep that order
  // in the layers, and let only the edges going back (restarts) run backwards.
  'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
  'elk.layered.cycleBreaking.strategy': 'MODEL_ORDER',
  'elk.layered.nodePlacement.strategy': 'NETWORK_SIMPLEX',
  'elk.layered.mergeEdges': 'false',
};

export const EDGE_LINE_HEIGHT = 14;
const EDGE_LABEL_PAD = 3;
const INITIAL_SIZE = 12;
export const FOLD_LINE_HEIGHT = 14;

export type ChartDirection = 'RIGHT' | 'DOWN';

export interface ChartModelOptions {
  /**
   * Fold a (event, guard, target) transition drawn from at least this many
   * states into a note on the target. Default 4; 0 disables. Only charts with
   * more than `foldAbove` transitions are folded (small charts stay literal).
   */
  foldMin?: number;
  /** Default 30. */
  foldAbove?: number;
}

/** Edge label line: eventless transitions show only their guard (`[isDeleting]`), else `always`. */
export function edgeLineLabel(t: TransitionJSON, source: StateNodeJSON): string {
  const g = typeof t.guard === 'string' ? t.guard : undefined;
  if (t.eventType === '') return g ? `[${g}]` : 'always';
  return transitionLabel(t, source);
}

export function buildChartModel(
  machine: MachineJSON,
  measure: MeasureText = estimateText,
  direction: ChartDirection = 'RIGHT',
  opts: ChartModelOptions = {},
): ChartModel {
  const nodes = new Map<string, ChartNodeInfo>();
  const edges: ChartEdgeInfo[] = [];
  const elkEdges: ElkEdgeIn[] = [];
  const index = indexStates(machine);
  const initialEdges: Array<{ source: string; target: string }> = [];

  // ---- transitions: fold, then merge parallel ones ----
  interface Raw {
    source: string;
    target: string;
    t: ChartTransition;
  }
  const raw: Raw[] = [];
  for (const s of index.values()) {
    for (const t of stateTransitions(s)) {
      for (const tgt of t.target ?? []) {
        const target = targetId(tgt);
        if (!index.has(target)) continue;
        const info = describeEventType(t.eventType, s);
        const ct: ChartTransition = { eventType: t.eventType, label: edgeLineLabel(t, s) };
        if (typeof t.guard === 'string') ct.guard = t.guard;
        const delay = t.delay ?? info.delay;
        if (delay !== undefined) ct.delay = delay;
        raw.push({ source: s.id, target, t: ct });
      }
    }
  }
  const foldMin = opts.foldMin ?? 4;
  const folded: FoldedTransition[] = [];
  const foldedKeys = new Set<string>();
  if (foldMin > 0 && raw.length > (opts.foldAbove ?? 30)) {
    const groups = new Map<string, Raw[]>();
    for (const r of raw) {
      if (r.t.eventType === '' || r.source === r.target) continue; // eventless: each guard is the chart's logic
      const key = `${r.t.eventType}\u0000${r.t.guard ?? ''}\u0000${r.target}`;
      groups.set(key, [...(groups.get(key) ?? []), r]);
    }
    for (const [key, list] of groups) {
      const sources = [...new Set(list.map((r) => r.source))];
      if (sources.length < foldMin) continue;
      foldedKeys.add(key);
      const first = list[0]!;
      const f: FoldedTransition = { eventType: first.t.eventType, target: first.target, sources, label: first.t.label };
      if (first.t.guard) f.guard = first.t.guard;
      folded.push(f);
    }
  }
  const byTarget = new Map<string, FoldedTransition[]>();
  for (const f of folded) byTarget.set(f.target, [...(byTarget.get(f.target) ?? []), f]);
  const foldNote = (f: FoldedTransition): string => `⇠ ${f.label} from ${f.sources.length} states`;

  // ---- states ----
  const build = (s: StateNodeJSON, parent: StateNodeJSON | undefined, depth: number): ElkNodeIn => {
    const children = Object.values(s.states ?? {});
    const reason = metaReason(s) || undefined;
    const metaStatus = (s.meta as { status?: unknown } | undefined)?.status;
    const label = parent ? s.key : s.id;
    let kind: ChartNodeKind;
    if (!parent) kind = 'root';
    else if (s.type === 'history') kind = 'history';
    else if (s.type === 'final') kind = 'final';
    else if (children.length === 0) kind = 'leaf';
    else if (s.type === 'parallel') kind = 'parallel';
    else if (parent.type === 'parallel') kind = 'region';
    else kind = 'compound';
    const info: ChartNodeInfo = { id: s.id, label, kind, reason, depth };
    if (typeof metaStatus === 'string') info.status = metaStatus;
    const notes = byTarget.get(s.id);
    if (notes) info.folded = notes;
    nodes.set(s.id, info);

    const titleW = measure(label, 'title');
    // The reason line only when it says more than the name.
    const reasonW = reason && reason !== label ? measure(reason, 'small') : 0;
    const notesW = Math.max(0, ...(notes ?? []).map((f) => measure(foldNote(f), 'small')));
    const notesH = (notes?.length ?? 0) * FOLD_LINE_HEIGHT;
    if (children.length === 0) {
      if (kind === 'history') return { id: s.id, width: 26, height: 26 };
      return {
        id: s.id,
        width: Math.ceil(Math.max(64, titleW + 28, reasonW + 24, notesW + 20)),
        height: (reasonW ? 40 : 30) + notesH,
      };
    }
    const elkChildren: ElkNodeIn[] = [];
    const initialTargets =
      s.type !== 'parallel' && typeof s.initial === 'object' ? (s.initial.target ?? []).map(targetId) : [];
    if (initialTargets.length) {
      const markerId = `${s.id}::initial`;
      nodes.set(markerId, { id: markerId, label: '', kind: 'initial', depth: depth + 1, owner: s.id });
      elkChildren.push({ id: markerId, width: INITIAL_SIZE, height: INITIAL_SIZE });
      for (const t of initialTargets) initialEdges.push({ source: markerId, target: t });
    }
    for (const c of children) elkChildren.push(build(c, s, depth + 1));
    const top = (reasonW ? 42 : 30) + notesH;
    return {
      id: s.id,
      layoutOptions: {
        'elk.padding': `[top=${top},left=12,bottom=12,right=12]`,
        'elk.nodeSize.constraints': 'MINIMUM_SIZE',
        'elk.nodeSize.minimum': `(${Math.ceil(Math.max(titleW, reasonW, notesW) + 32)}, ${top + 24})`,
      },
      children: elkChildren,
    };
  };
  const top = build(machine, undefined, 0);

  for (const e of initialEdges) {
    const id = `e${edges.length}`;
    edges.push({ id, source: e.source, target: e.target, transitions: [], label: '', initial: true });
    elkEdges.push({ id, sources: [e.source], targets: [e.target] });
  }
  const merged = new Map<string, ChartEdgeInfo>();
  for (const r of raw) {
    if (foldedKeys.has(`${r.t.eventType}\u0000${r.t.guard ?? ''}\u0000${r.target}`)) continue;
    const key = `${r.source}\u0000${r.target}`;
    let e = merged.get(key);
    if (!e) {
      e = { id: `e${edges.length}`, source: r.source, target: r.target, transitions: [], label: '' };
      merged.set(key, e);
      edges.push(e);
    }
    // The same label twice (two guarded branches to one target) reads as one line.
    if (!e.transitions.some((x) => x.label === r.t.label && x.eventType === r.t.eventType)) e.transitions.push(r.t);
    else e.transitions.push({ ...r.t, label: '' });
  }
  // Cycles: ELK's own cycle breaking picks the states with the most outgoing
  // edges as sources (Started came out first). States are declared in the
  // order the kubelet walks them, so an edge to an earlier-declared state is
  // the one that goes back (a retry, a restart): hand ELK that edge reversed,
  // and draw its arrow at the path's start.
  const order = new Map<string, number>();
  for (const id of index.keys()) order.set(id, order.size);
  for (const e of merged.values()) {
    const lines = e.transitions.map((t) => t.label).filter(Boolean);
    e.label = lines.join('\n');
    const width = Math.ceil(Math.max(0, ...lines.map((l) => measure(l, 'edge'))) + 2 * EDGE_LABEL_PAD + 2);
    const back = (order.get(e.target) ?? 0) < (order.get(e.source) ?? 0) && !isAncestor(e.target, e.source);
    if (back) e.reversed = true;
    elkEdges.push({
      id: e.id,
      sources: [back ? e.target : e.source],
      targets: [back ? e.source : e.target],
      labels: lines.length ? [{ text: e.label, width, height: lines.length * EDGE_LINE_HEIGHT + 2 }] : undefined,
    });
  }

  return {
    graph: { id: '__chart__', layoutOptions: { ...LAYOUT_OPTIONS, 'elk.direction': direction }, children: [top], edges: elkEdges },
    nodes,
    edges,
    folded,
  };
}

function isAncestor(a: string, b: string): boolean {
  return b.startsWith(`${a}.`);
}

/** Does a drawn transition match a taken one (source state, descriptor, target)? */
export function transitionMatches(
  source: string,
  target: string,
  t: { eventType: string },
  taken: { source?: string; targets: string[]; eventType: string },
): boolean {
  return source === taken.source && t.eventType === taken.eventType && (taken.targets.length === 0 || taken.targets.includes(target));
}
