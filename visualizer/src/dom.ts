// A tiny DOM helper and the formats the panes share.

export type Attrs = Record<string, string | number | boolean | undefined | ((ev: Event) => void)>;

export function h(tag: string, attrs: Attrs = {}, ...children: Array<Node | string | undefined | false>): HTMLElement {
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

export function byId(id: string): HTMLElement {
  const e = document.getElementById(id);
  if (!e) throw new Error(`missing #${id}`);
  return e;
}

export function fmtTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

export function fmtDur(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
}

/** kubectl's event ages: `5s`, `3m`, `2h`. */
export function fmtAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  return `${Math.floor(s / 3600)}h`;
}

/** Sets the attributes that differ; returns whether any did. */
export function setAttrs(e: Element, attrs: Record<string, string>): boolean {
  let changed = false;
  for (const [k, v] of Object.entries(attrs)) {
    if (e.getAttribute(k) !== v) {
      e.setAttribute(k, v);
      changed = true;
    }
  }
  return changed;
}
