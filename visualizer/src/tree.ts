// The actor list at node scale: pods grouped by namespace, their containers
// (and probes, and running calls) under them, filtered by name, namespace and
// state. Rows are kept per actor and reconciled, not rebuilt: with 110 pods of
// 3 containers a change touches the rows that changed and moves the others.

import { stateValueToString } from '../../src/inspect/chart.js';
import type { InspectorModel, TreeFilter, TreeNode } from '../../src/inspect/view-model.js';
import { h, setAttrs } from './dom.js';

interface Row {
  item: HTMLElement;
  node: HTMLElement;
  kids: HTMLElement;
  sig: string;
  childKey: string;
  depth: number;
}

interface Group {
  el: HTMLElement;
  head: HTMLElement;
  body: HTMLElement;
  sig: string;
  childKey: string;
}

/** Above this many pods, calls (CRI requests) are hidden unless asked for. */
const CALLS_AUTO_MAX_PODS = 20;

export class ActorList {
  private readonly rows = new Map<string, Row>();
  private readonly groups = new Map<string, Group>();
  private topKey = '';
  /** Collapsed pods (session ids) and namespaces (`ns:<name>`). */
  readonly collapsed = new Set<string>();
  filter: TreeFilter = {};
  /** 'auto': calls are listed for small nodes only. */
  callsMode: 'auto' | boolean = 'auto';
  totalPods = 0;
  shownPods = 0;
  namespaces: string[] = [];

  constructor(
    private readonly host: HTMLElement,
    private readonly model: InspectorModel,
    private readonly onSelect: (sessionId: string) => void,
    private readonly onChange: () => void,
  ) {}

  showCalls(): boolean {
    return this.callsMode === 'auto' ? this.totalPods <= CALLS_AUTO_MAX_PODS : this.callsMode;
  }

  /** Rebuilds the list's structure, reusing every row that still exists. */
  render(selected: string | undefined): void {
    const m = this.model;
    const groups = m.groupedTree({ ...this.filter, calls: this.showCalls(), keep: selected });
    this.totalPods = groups.reduce((n, g) => n + g.total, 0);
    this.shownPods = groups.reduce((n, g) => n + g.nodes.length, 0);
    this.namespaces = groups.map((g) => g.namespace).filter(Boolean);
    const seen = new Set<string>();
    const build = (n: TreeNode, depth: number): HTMLElement => {
      const id = n.actor.sessionId;
      seen.add(id);
      const row = this.row(id, depth, selected, n.children.length > 0);
      const open = !this.collapsed.has(id);
      const kids = open ? n.children.map((c) => build(c, depth + 1)) : [];
      const childKey = open ? n.children.map((c) => c.actor.sessionId).join(' ') : '';
      if (childKey !== row.childKey) {
        row.kids.replaceChildren(...kids);
        row.childKey = childKey;
      }
      return row.item;
    };
    const grouped = groups.length > 1 || groups.some((g) => g.namespace !== '');
    const top: HTMLElement[] = [];
    const topIds: string[] = [];
    for (const g of groups) {
      if (!grouped) {
        for (const n of g.nodes) {
          top.push(build(n, 0));
          topIds.push(n.actor.sessionId);
        }
        continue;
      }
      if (g.nodes.length === 0) continue;
      const key = `ns:${g.namespace}`;
      const grp = this.group(g.namespace, g.nodes.length, g.total);
      const open = !this.collapsed.has(key);
      const items = open ? g.nodes.map((n) => build(n, 0)) : [];
      const childKey = open ? g.nodes.map((n) => n.actor.sessionId).join(' ') : '';
      if (childKey !== grp.childKey) {
        grp.body.replaceChildren(...items);
        grp.childKey = childKey;
      }
      top.push(grp.el);
      topIds.push(key);
    }
    const topKey = topIds.join(' ');
    if (top.length === 0) {
      this.host.replaceChildren(h('p', { class: 'empty' }, this.totalPods ? 'No actor matches the filter.' : 'No live actors yet.'));
      this.topKey = '';
    } else if (topKey !== this.topKey) {
      this.host.replaceChildren(...top);
      this.topKey = topKey;
    }
    for (const id of [...this.rows.keys()]) if (!seen.has(id) && !m.actors.has(id)) this.rows.delete(id);
  }

  /** Refreshes one actor's row in place (its state changed); false when it is not listed. */
  update(sessionId: string, selected: string | undefined): boolean {
    const row = this.rows.get(sessionId);
    if (!row || !row.item.isConnected) return false;
    this.row(sessionId, row.depth, selected, row.childKey !== '' || this.collapsed.has(sessionId));
    return true;
  }

  private group(namespace: string, shown: number, total: number): Group {
    let g = this.groups.get(namespace);
    if (!g) {
      const key = `ns:${namespace}`;
      const head = h('div', {
        class: 'ns-head',
        role: 'button',
        tabindex: 0,
        onclick: () => {
          if (this.collapsed.has(key)) this.collapsed.delete(key);
          else this.collapsed.add(key);
          this.onChange();
        },
      });
      const body = h('div', { class: 'ns-body' });
      const el = h('div', { class: 'ns-group', 'data-testid': 'namespace-group', 'data-namespace': namespace }, head, body);
      g = { el, head, body, sig: '', childKey: '' };
      this.groups.set(namespace, g);
    }
    const open = !this.collapsed.has(`ns:${namespace}`);
    const sig = `${shown}/${total}/${open}`;
    if (sig !== g.sig) {
      g.sig = sig;
      g.el.setAttribute('data-count', String(shown));
      g.el.setAttribute('data-total', String(total));
      g.el.classList.toggle('collapsed', !open);
      g.head.replaceChildren(
        h('span', { class: 'caret' }, open ? '▾' : '▸'),
        h('span', { class: 'ns-name' }, namespace || '(no namespace)'),
        h('span', { class: 'ns-count' }, shown === total ? `${total} pod${total === 1 ? '' : 's'}` : `${shown} of ${total} pods`),
      );
    }
    return g;
  }

  private attrs(id: string, selected: string | undefined, root: boolean): Record<string, string> {
    const m = this.model;
    const a = m.actors.get(id)!;
    const { category, reason } = a.machineId ? m.classify(id) : { category: 'other', reason: undefined };
    const attrs: Record<string, string> = {
      'data-session-id': a.sessionId,
      'data-actor-id': a.actorId,
      'data-label': m.label(a.sessionId),
      'data-machine-id': a.machineId ?? '',
      'data-kind': a.machineId ? 'machine' : 'call',
      'data-status': a.status,
      'data-state-value': stateValueToString(a.value),
      'data-reason': reason ?? '',
      'data-category': category,
      'data-selected': String(id === selected),
    };
    if (root) {
      const p = m.podView(id);
      attrs['data-pod'] = 'true';
      attrs['data-pod-name'] = p.name;
      attrs['data-namespace'] = p.namespace;
      attrs['data-phase'] = p.phase ?? '';
      attrs['data-restarts'] = String(p.restarts);
      attrs['data-ready'] = p.ready ?? '';
    }
    return attrs;
  }

  /** What the list shows right of an actor: its kubelet reason or state, or how it ended. */
  private valueText(id: string): string {
    const m = this.model;
    const a = m.actors.get(id)!;
    if (a.status !== 'active') return a.machineId ? `${stateValueToString(a.value)} · ${a.status}` : a.status;
    if (!a.machineId) return 'running…';
    const { reason } = m.classify(id);
    const value = stateValueToString(a.value);
    return reason && !value.split('.').includes(reason) ? `${value} · ${reason}` : value;
  }

  private row(id: string, depth: number, selected: string | undefined, hasKids: boolean): Row {
    const m = this.model;
    const a = m.actors.get(id)!;
    const root = depth === 0;
    let row = this.rows.get(id);
    if (!row) {
      const node = h('div', {
        class: 'actor-node',
        'data-testid': 'actor-node',
        role: 'treeitem',
        tabindex: 0,
        onclick: () => this.onSelect(id),
        onkeydown: (ev) => {
          if ((ev as KeyboardEvent).key === 'Enter') this.onSelect(id);
        },
      });
      const kids = h('div', { class: 'tree-children' });
      row = { item: h('div', { class: 'tree-item' }, node, kids), node, kids, sig: '', childKey: '', depth };
      this.rows.set(id, row);
    }
    row.depth = depth;
    const attrs = this.attrs(id, selected, root);
    const label = root ? m.podView(id).name : m.label(id);
    const badge = a.machineId ? a.machineId.replace(/~\d+$/, '') : 'call';
    const value = this.valueText(id);
    const collapsed = this.collapsed.has(id);
    const sig = JSON.stringify([attrs, label, value, depth, hasKids, collapsed]);
    if (sig === row.sig) return row;
    row.sig = sig;
    const n = row.node;
    setAttrs(n, attrs);
    n.className = `actor-node${id === selected ? ' selected' : ''}${a.status !== 'active' ? ' ended' : ''}${a.machineId ? '' : ' call'}${root ? ' pod' : ''}`;
    n.style.paddingLeft = `${4 + depth * 14}px`;
    n.title = `${a.actorId} · ${a.sessionId}${a.systemId ? ` · systemId ${a.systemId}` : ''}`;
    const caret = hasKids
      ? h(
          'span',
          {
            class: 'caret',
            'data-testid': 'tree-toggle',
            onclick: (ev) => {
              ev.stopPropagation();
              if (this.collapsed.has(id)) this.collapsed.delete(id);
              else this.collapsed.add(id);
              this.onChange();
            },
          },
          collapsed ? '▸' : '▾',
        )
      : h('span', { class: 'caret none' });
    const extra: HTMLElement[] = [];
    if (root) {
      const p = m.podView(id);
      if (p.phase) extra.push(h('span', { class: `phase phase-${p.phase}`, 'data-testid': 'pod-phase' }, p.phase));
      if (p.ready) extra.push(h('span', { class: 'ready', title: 'ready containers' }, p.ready));
      extra.push(h('span', { class: `restarts${p.restarts ? ' some' : ''}`, 'data-testid': 'pod-restarts', title: 'restarts (all containers)' }, `↻${p.restarts}`));
    }
    n.replaceChildren(
      caret,
      h('span', { class: `dot cat-${attrs['data-category']}` }),
      h('span', { class: 'actor-label' }, label),
      root ? h('span', { class: 'actor-extra' }, ...extra) : badge !== label ? h('span', { class: 'actor-machine' }, badge) : h('span', {}),
      h('span', { class: 'actor-value' }, value),
    );
    return row;
  }
}
