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
