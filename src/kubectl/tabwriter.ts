// Go's text/tabwriter (the elastic tabstops kubectl prints its tables and
// `describe` output with), for the one mode kubectl uses: cells padded with
// spaces, aligned left, no flags. Text is cut into cells at each '\t'; the text
// after a line's last tab is not part of any column. A column's width is that
// of its widest cell (plus padding, at least minwidth) over a block of
// consecutive lines that all have a cell in that column, and a line without
// any tab ends every block (tabwriter flushes there), which is why each
// section of `kubectl describe` aligns on its own.

export interface TabwriterOptions {
  /** Minimal cell width, padding included (kubectl get: 6; describe: 0). */
  minwidth: number;
  /** Spaces added to the widest cell of a column (kubectl get: 3; describe: 2). */
  padding: number;
}

/** kubectl get's printers.GetNewTabWriter: minwidth 6, padding 3. */
export const GET_TABWRITER: TabwriterOptions = { minwidth: 6, padding: 3 };
/** kubectl describe's tabbedString: minwidth 0, padding 2. */
export const DESCRIBE_TABWRITER: TabwriterOptions = { minwidth: 0, padding: 2 };

/** Width as Go counts it for alignment: runes (code points). */
const width = (s: string): number => [...s].length;

/** Formats tab-separated text as tabwriter would print it (Write then Flush). */
export function tabwrite(text: string, opts: TabwriterOptions): string {
  const out: string[] = [];
  // Each segment up to a tab-less line is flushed (formatted) on its own.
  let block: string[][] = [];
  const lines = text.split('\n');
  const trailing = lines[lines.length - 1] === '' ? lines.pop() : undefined;
  for (const line of lines) {
    const cells = line.split('\t');
    block.push(cells);
    if (cells.length === 1) {
      out.push(...formatBlock(block, opts));
      block = [];
    }
  }
  out.push(...formatBlock(block, opts));
  return out.join('\n') + (trailing !== undefined ? '\n' : '');
}

function formatBlock(lines: string[][], opts: TabwriterOptions): string[] {
  const rendered = lines.map(() => '');
  const widths: number[] = [];
  // tabwriter's recursive format(): column `col` is laid out over each maximal run of
  // lines that have a (tab-terminated) cell in it, then the columns to its right.
  const format = (line0: number, line1: number): void => {
    const col = widths.length;
    let start = line0;
    for (let i = line0; i < line1; i++) {
      if (col >= lines[i]!.length - 1) continue;
      emit(start, i);
      start = i;
      let w = opts.minwidth;
      let j = i;
      for (; j < line1 && col < lines[j]!.length - 1; j++) w = Math.max(w, width(lines[j]![col]!) + opts.padding);
      widths.push(w);
      format(start, j);
      widths.pop();
      start = j;
      i = j - 1;
    }
    emit(start, line1);
  };
  // Writes the cells of lines [a, b) that the widths known so far cover, once.
  const done = new Set<number>();
  const emit = (a: number, b: number): void => {
    for (let i = a; i < b; i++) {
      if (done.has(i)) continue;
      done.add(i);
      const cells = lines[i]!;
      let s = '';
      cells.forEach((c, k) => {
        s += c;
        if (k < cells.length - 1 && k < widths.length) s += ' '.repeat(Math.max(0, widths[k]! - width(c)));
      });
      rendered[i] = s;
    }
  };
  format(0, lines.length);
  return rendered;
}

/** A kubectl get table: header and rows joined by tabs, formatted with GET_TABWRITER. */
export function table(header: string[] | undefined, rows: string[][]): string {
  const all = header ? [header, ...rows] : rows;
  return tabwrite(all.map((r) => r.join('\t')).join('\n') + '\n', GET_TABWRITER);
}
