/**
 * Aligned text tables as Argo CD prints them (Go's tabwriter with padding 2): every column but the
 * last is padded to its widest cell plus two spaces; headers are upper case. Widths count code
 * points, and cells are single-line (newlines become spaces).
 */
export type Cell = string | number | boolean | undefined | null;

function text(cell: Cell): string {
  if (cell === undefined || cell === null) return '';
  return String(cell).replace(/\r?\n/g, ' ');
}

function width(s: string): number {
  return Array.from(s).length;
}

/**
 * Formats rows under headers.
 * @example
 * formatTable(['NAME', 'STATUS'], [['guestbook', 'Synced']])
 * // 'NAME       STATUS\nguestbook  Synced\n'
 */
export function formatTable(
  headers: readonly string[] | undefined,
  rows: readonly (readonly Cell[])[],
): string {
  const all: string[][] = [];
  if (headers) all.push(headers.map((h) => h.toUpperCase()));
  for (const r of rows) all.push(r.map(text));
  const cols = Math.max(0, ...all.map((r) => r.length));
  const widths: number[] = [];
  for (let c = 0; c < cols - 1; c++) widths.push(Math.max(0, ...all.map((r) => width(r[c] ?? ''))));
  let out = '';
  for (const r of all) {
    let line = '';
    for (let c = 0; c < r.length; c++) {
      const cell = r[c] ?? '';
      if (c < r.length - 1) line += cell + ' '.repeat((widths[c] ?? 0) - width(cell) + 2);
      else line += cell;
    }
    out += `${line.trimEnd()}\n`;
  }
  return out;
}

/** `key: value` lines with the values aligned (Argo CD's `app get` summary). */
export function formatFields(fields: readonly (readonly [string, Cell])[]): string {
  const w = Math.max(0, ...fields.map(([k]) => width(k) + 1));
  return fields
    .map(([k, v]) => `${`${k}:`.padEnd(w + 1)}${text(v)}`.trimEnd())
    .join('\n')
    .concat(fields.length > 0 ? '\n' : '');
}

/**
 * A table printed in batches as events arrive (live progress of `app sync` / `app wait`): the header
 * is printed once, and column widths are remembered across batches and only grow, so a later batch
 * lines up with the earlier ones unless one of its cells is wider than anything seen before (lines
 * already printed cannot be re-padded). The first batch usually lists every resource, which fixes
 * the widths for the rest of the run.
 * @example
 * const t = new StreamingTable(['KIND', 'NAME']);
 * t.rows([['ConfigMap', 'a']]); // 'KIND       NAME\nConfigMap  a\n'
 * t.rows([['Pod', 'b']]); //       'Pod        b\n'
 */
export class StreamingTable {
  readonly #headers: readonly string[];
  readonly #widths: number[];
  #headerDone = false;

  constructor(headers: readonly string[]) {
    this.#headers = headers.map((h) => h.toUpperCase());
    this.#widths = this.#headers.map(width);
  }

  /** The text for these rows (the header line first, the first time). */
  rows(rows: readonly (readonly Cell[])[]): string {
    const all = rows.map((r) => r.map(text));
    for (const r of all)
      r.forEach((c, i) => {
        this.#widths[i] = Math.max(this.#widths[i] ?? 0, width(c));
      });
    const line = (r: readonly string[]): string =>
      r
        .map((c, i) =>
          i < r.length - 1 ? c + ' '.repeat((this.#widths[i] ?? 0) - width(c) + 2) : c,
        )
        .join('')
        .trimEnd();
    let out = '';
    if (!this.#headerDone) {
      out += `${line(this.#headers)}\n`;
      this.#headerDone = true;
    }
    for (const r of all) out += `${line(r)}\n`;
    return out;
  }
}
