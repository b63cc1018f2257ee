// `statelet export-machines`: writes each chart as `<name>.json`
// (`machine.toJSON()`, importable into Stately Studio) or `<name>.mmd`
// (Mermaid stateDiagram-v2), so the charts can be read and reviewed without
// running anything.

import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { AnyStateMachine } from 'xstate';
import { machineToJSON, stateTransitions, targetId, transitionLabel } from '../inspect/chart.js';
import type { MachineJSON, StateNodeJSON } from '../inspect/protocol.js';

export type ExportFormat = 'json' | 'mermaid';

export interface ExportMachinesOptions {
  format: ExportFormat;
  /** When given, files are written there (created if missing). */
  outDir?: string;
}

export interface ExportMachinesResult {
  /** Absolute paths written (empty without outDir). */
  files: string[];
  /** File content by machine name (the record key). */
  text: Record<string, string>;
}

/**
 * Exports machines under their record keys: `{ container: containerMachine }`
 * gives `container.json` / `container.mmd`.
 */
export async function exportMachines(
  machines: Record<string, AnyStateMachine>,
  opts: ExportMachinesOptions,
): Promise<ExportMachinesResult> {
  if (opts.format !== 'json' && opts.format !== 'mermaid') {
    throw new Error(`unknown export format "${String(opts.format)}" (expected json or mermaid)`);
  }
  const text: Record<string, string> = {};
  for (const [name, machine] of Object.entries(machines)) {
    if (!/^[A-Za-z0-9._-]+$/.test(name) || name.startsWith('.')) {
      throw new Error(`machine name "${name}" is not usable as a file name`);
    }
    const json = machineToJSON(machine);
    text[name] = opts.format === 'json' ? `${JSON.stringify(json, null, 2)}\n` : toMermaid(json);
  }
  const files: string[] = [];
  if (opts.outDir !== undefined) {
    const dir = resolve(opts.outDir);
    await mkdir(dir, { recursive: true });
    const ext = opts.format === 'json' ? 'json' : 'mmd';
    for (const [name, content] of Object.entries(text)) {
      const file = join(dir, `${name}.${ext}`);
      await writeFile(file, content);
      files.push(file);
    }
  }
  return { files, text };
}

// Words Mermaid's state grammar treats specially.
const RESERVED = new Set(['end', 'state', 'note', 'direction', 'class', 'classdef', 'style', 'as', 'click']);

/**
 * Mermaid `stateDiagram-v2` for a machine JSON: composite states for compound
 * and parallel nodes (regions separated by `--`), `[*] -->` for initial
 * states, `--> [*]` for final ones, and transitions labelled `EVENT [guard]` /
 * `after <delay> [guard]`. Mermaid state ids are global, so nested states with
 * the same key get path-based ids and a display label. A transition is written
 * inside the deepest composite containing both ends, as Mermaid expects.
 */
export function toMermaid(machine: MachineJSON): string {
  const parent = new Map<string, StateNodeJSON | undefined>();
  const byId = new Map<string, StateNodeJSON>();
  const keyCount = new Map<string, number>();
  const visit = (s: StateNodeJSON, p: StateNodeJSON | undefined): void => {
    byId.set(s.id, s);
    parent.set(s.id, p);
    if (p) keyCount.set(s.key, (keyCount.get(s.key) ?? 0) + 1);
    for (const c of Object.values(s.states ?? {})) visit(c, s);
  };
  visit(machine, undefined);

  const rootHasTransitions = stateTransitions(machine).some((t) => (t.target ?? []).length > 0);
  // The root becomes a visible composite only when it has transitions of its own.
  const showRoot = rootHasTransitions;

  const mid = new Map<string, string>();
  const used = new Set<string>();
  const sanitize = (s: string): string => s.replace(/[^A-Za-z0-9_]/g, '_');
  for (const s of byId.values()) {
    if (s === machine && !showRoot) continue;
    const path = s === machine ? [s.key] : s.id.split('.').slice(1);
    let id = keyCount.get(s.key) === 1 || s === machine ? sanitize(s.key) : sanitize(path.join('_'));
    if (RESERVED.has(id.toLowerCase())) id = `${id}_`;
    let unique = id;
    for (let i = 2; used.has(unique); i++) unique = `${id}_${i}`;
    used.add(unique);
    mid.set(s.id, unique);
  }

  const ancestors = (id: string): string[] => {
    const out: string[] = [];
    for (let p = parent.get(id); p; p = parent.get(p.id)) out.push(p.id);
    return out;
  };
  /** Deepest composite strictly containing both states ('' = top level). */
  const scopeOf = (a: string, b: string): string => {
    const aa = ancestors(a);
    const bb = new Set(ancestors(b));
    for (const x of aa) {
      if (bb.has(x) && x !== a && x !== b) {
        if (x === machine.id && !showRoot) return '';
        return x;
      }
    }
    return '';
  };

  const edges = new Map<string, string[]>(); // scope id → lines
  const addEdge = (scope: string, line: string): void => {
    const list = edges.get(scope) ?? [];
    list.push(line);
    edges.set(scope, list);
  };
  const clean = (label: string): string => label.replace(/[;\n\r]/g, ' ').trim();
  for (const s of byId.values()) {
    for (const t of stateTransitions(s)) {
      for (const raw of t.target ?? []) {
        const tgt = targetId(raw);
        if (!mid.has(s.id) || !mid.has(tgt)) continue;
        const scope = s.id === tgt ? scopeOf(s.id, s.id) : scopeOf(s.id, tgt);
        addEdge(scope, `${mid.get(s.id)} --> ${mid.get(tgt)} : ${clean(transitionLabel(t, s))}`);
      }
    }
  }

  const lines: string[] = ['stateDiagram-v2'];
  const emitChildren = (s: StateNodeJSON, indent: string): void => {
    const children = Object.values(s.states ?? {});
    if (s.type === 'parallel') {
      children.forEach((c, i) => {
        if (i > 0) lines.push(`${indent}--`);
        emitState(c, indent);
      });
    } else {
      const initial = typeof s.initial === 'object' ? (s.initial.target ?? []) : s.initial ? [`${s.id}.${s.initial}`] : [];
      for (const raw of initial) {
        const t = mid.get(targetId(raw));
        if (t) lines.push(`${indent}[*] --> ${t}`);
      }
      for (const c of children) emitState(c, indent);
    }
    for (const c of children) if (c.type === 'final') lines.push(`${indent}${mid.get(c.id)} --> [*]`);
    const scope = s === machine && !showRoot ? '' : s.id;
    for (const e of edges.get(scope) ?? []) lines.push(`${indent}${e}`);
  };
  const emitState = (s: StateNodeJSON, indent: string): void => {
    const id = mid.get(s.id) as string;
    const label = s.type === 'history' ? `${s.key} (${s.history === 'deep' ? 'deep ' : ''}history)` : s.key;
    const hasChildren = Object.keys(s.states ?? {}).length > 0;
    if (label !== id) lines.push(`${indent}state "${label.replace(/"/g, "'")}" as ${id}`);
    if (hasChildren) {
      lines.push(`${indent}state ${id} {`);
      emitChildren(s, `${indent}  `);
      lines.push(`${indent}}`);
    } else if (label === id) {
      lines.push(`${indent}${id}`);
    }
  };

  if (showRoot) {
    lines.push(`  [*] --> ${mid.get(machine.id)}`);
    emitState(machine, '  ');
    for (const e of edges.get('') ?? []) lines.push(`  ${e}`);
  } else {
    emitChildren(machine, '  ');
  }
  return `${lines.join('\n')}\n`;
}
