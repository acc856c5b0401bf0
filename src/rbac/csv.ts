/**
 * One policy line read the way Argo CD reads it: Go's `encoding/csv` with `TrimLeadingSpace`, one
 * record per line, strict quoting (no lazy quotes). Fields keep their trailing spaces, as in Go.
 */

/** Go's `unicode.IsSpace`. */
export function isGoSpace(ch: string): boolean {
  switch (ch) {
    case ' ':
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case '\u0085':
    case '\u00a0':
    case '\u1680':
    case '\u2028':
    case '\u2029':
    case '\u202f':
    case '\u205f':
    case '\u3000':
      return true;
    default:
      return ch >= '\u2000' && ch <= '\u200a';
  }
}

/** Go's `strings.TrimSpace`. */
export function trimGoSpace(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isGoSpace(text.charAt(start))) start++;
  while (end > start && isGoSpace(text.charAt(end - 1))) end--;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

export type CsvLineResult =
  | { readonly ok: true; readonly fields: string[] }
  | { readonly ok: false; readonly message: string; readonly column: number };

/**
 * Splits one line (no line breaks) into fields.
 * @example
 * readCsvLine('g, "my-org:team, with comma", role:admin')
 * // { ok: true, fields: ['g', 'my-org:team, with comma', 'role:admin'] }
 */
export function readCsvLine(line: string): CsvLineResult {
  const fields: string[] = [];
  const n = line.length;
  let i = 0;
  for (;;) {
    while (i < n && isGoSpace(line.charAt(i))) i++;
    if (i < n && line.charAt(i) === '"') {
      const open = i;
      i++;
      let field = '';
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) {
          return {
            ok: false,
            message: `the quote opened at column ${open + 1} is never closed`,
            column: open + 1,
          };
        }
        field += line.slice(i, q);
        i = q + 1;
        if (i < n && line.charAt(i) === '"') {
          field += '"';
          i++;
          continue;
        }
        break;
      }
      fields.push(field);
      if (i >= n) return { ok: true, fields };
      if (line.charAt(i) !== ',') {
        return {
          ok: false,
          message: `unexpected text after the closing quote at column ${i}: a quoted field must end at a comma (write "" for a quote inside quotes)`,
          column: i + 1,
        };
      }
      i++;
      continue;
    }
    const comma = line.indexOf(',', i);
    const end = comma < 0 ? n : comma;
    const field = line.slice(i, end);
    const bare = field.indexOf('"');
    if (bare >= 0) {
      return {
        ok: false,
        message: `bare quote at column ${i + bare + 1}: quote the whole field ("...") and double quotes inside it`,
        column: i + bare + 1,
      };
    }
    fields.push(field);
    if (comma < 0) return { ok: true, fields };
    i = comma + 1;
  }
}

/**
 * Quotes a field for a policy line when it needs it (commas, quotes, leading or trailing spaces).
 * @example
 * quoteCsvField('my-org:team, with comma') // '"my-org:team, with comma"'
 */
export function quoteCsvField(value: string): string {
  const needs =
    value.includes(',') ||
    value.includes('"') ||
    (value.length > 0 && (isGoSpace(value.charAt(0)) || isGoSpace(value.charAt(value.length - 1))));
  return needs ? `"${value.replaceAll('"', '""')}"` : value;
}
