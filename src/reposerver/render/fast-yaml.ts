/**
 * A fast path for the plain block YAML that tools print and most repositories hold: block mappings
 * and sequences (including the compact `key:\n- item` style), simple keys, plain scalars that can
 * only be strings or decimal integers, single-line quoted scalars, `{}`, `[]`, literal block
 * scalars (`|`, `|-`, `|+`) and full-line comments.
 *
 * It never guesses: anything outside that subset (anchors, aliases, tags, flow collections,
 * folded or multi-line scalars, words YAML 1.1 could read as booleans or null, floats, octals,
 * trailing comments, tabs, directives, duplicate keys, ...) makes it return `undefined`, and the
 * caller parses the text with the full `yaml` parser. Tests check it against that parser on every
 * fixture and on generated documents: where it answers, it answers the same.
 */

type Value = string | number | null | Value[] | { [key: string]: Value };

class Bail extends Error {}

const bail = (): never => {
  throw new Bail();
};

interface Line {
  readonly indent: number;
  /** the line without its indentation (and without a trailing `\r`) */
  readonly text: string;
  /** the raw line (for block scalars) */
  readonly raw: string;
}

/**
 * A plain scalar that starts with a letter, `_`, `$`, `/`, or `-` followed by one of those (or
 * another `-`, as in `--flag=1`): never a number in YAML 1.1.
 */
const SAFE_PLAIN = /^(?:[\p{L}_/$]|-[\p{L}_/$-])[^\p{Cc}]*$/u;
const DECIMAL = /^(?:0|-?[1-9][0-9]*)$/;
/**
 * A digit-led plain scalar holding a letter no YAML 1.1 number can hold (`100m`, `128Mi`, `5s`):
 * numbers only ever use hex digits, `e`, `o`, `x` and `b` (and `.inf`/`.nan` start with a dot).
 */
const DIGIT_LED_WORD = /^[0-9][^]*[g-np-wyzG-NP-WYZ]/;
const SAFE_KEY = /^[A-Za-z_$/][A-Za-z0-9_$./-]*$/;
/** words YAML 1.1 may read as something other than a string */
const AMBIGUOUS = /^(?:y|n|yes|no|on|off|true|false|null|~|\.inf|\.nan|-?\.inf)$/i;

function plainScalar(s: string): Value {
  if (s === '' || s === '~' || s === 'null') return null;
  if (DECIMAL.test(s)) {
    const n = Number(s);
    return Number.isSafeInteger(n) ? n : bail();
  }
  if (AMBIGUOUS.test(s)) return bail();
  if (!SAFE_PLAIN.test(s) && !(DIGIT_LED_WORD.test(s) && !/\p{Cc}/u.test(s))) return bail();
  // a plain scalar may not hold ": " or " #" (a mapping or a comment would start there)
  if (s.includes(': ') || s.endsWith(':') || s.includes(' #')) return bail();
  return s;
}

function doubleQuoted(s: string): string {
  // s includes both quotes
  const body = s.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body.charAt(i);
    if (c === '"') return bail();
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = body.charAt(++i);
    switch (e) {
      case '\\':
      case '"':
      case '/':
        out += e;
        break;
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'r':
        out += '\r';
        break;
      case '0':
        out += '\0';
        break;
      case 'x':
      case 'u': {
        const len = e === 'x' ? 2 : 4;
        const hex = body.slice(i + 1, i + 1 + len);
        if (!new RegExp(`^[0-9A-Fa-f]{${len}}$`).test(hex)) return bail();
        out += String.fromCharCode(Number.parseInt(hex, 16));
        i += len;
        break;
      }
      default:
        return bail();
    }
  }
  return out;
}

function singleQuoted(s: string): string {
  const body = s.slice(1, -1);
  // a lone quote inside would have ended the scalar
  if (body.replace(/''/g, '').includes("'")) return bail();
  return body.replace(/''/g, "'");
}

function inlineValue(s: string): Value {
  if (s === '{}') return {};
  if (s === '[]') return [];
  const first = s.charAt(0);
  if (first === '"') return s.length >= 2 && s.endsWith('"') ? doubleQuoted(s) : bail();
  if (first === "'") return s.length >= 2 && s.endsWith("'") ? singleQuoted(s) : bail();
  return plainScalar(s);
}

function parseKey(s: string): string {
  if (SAFE_KEY.test(s) && !AMBIGUOUS.test(s) && !DECIMAL.test(s)) return s;
  if (s.length >= 2 && s.startsWith('"') && s.endsWith('"')) return doubleQuoted(s);
  if (s.length >= 2 && s.startsWith("'") && s.endsWith("'")) return singleQuoted(s);
  return bail();
}

/** Splits `key: value` / `key:`; returns undefined when the text is not a mapping entry. */
function splitEntry(text: string): { key: string; rest: string } | undefined {
  let end: number;
  if (text.startsWith('"') || text.startsWith("'")) {
    const q = text.charAt(0);
    end = text.indexOf(q, 1);
    while (q === "'" && end >= 0 && text.charAt(end + 1) === "'") end = text.indexOf(q, end + 2);
    if (q === '"') {
      end = 1;
      while (end < text.length && text.charAt(end) !== '"')
        end += text.charAt(end) === '\\' ? 2 : 1;
    }
    if (end < 0 || end >= text.length) return bail();
    end += 1;
    // a quoted scalar that is not followed by ':' is a value, not a key
    if (text.charAt(end) !== ':') return undefined;
  } else {
    end = text.indexOf(':');
    while (end >= 0 && end + 1 < text.length && text.charAt(end + 1) !== ' ')
      end = text.indexOf(':', end + 1);
    if (end < 0) return undefined;
  }
  const after = text.slice(end + 1);
  if (after !== '' && !after.startsWith(' ')) return bail();
  return { key: parseKey(text.slice(0, end)), rest: after.trim() };
}

class Reader {
  readonly #lines: Line[];
  #i = 0;

  constructor(lines: Line[]) {
    this.#lines = lines;
  }

  peek(): Line | undefined {
    while (this.#i < this.#lines.length) {
      const l = this.#lines[this.#i];
      if (l && (l.text === '' || l.text.startsWith('#'))) {
        this.#i++;
        continue;
      }
      return l;
    }
    return undefined;
  }

  next(): Line {
    const l = this.peek();
    if (!l) return bail();
    this.#i++;
    return l;
  }

  /** Raw lines of a literal block scalar: every line indented more than `parent` (or blank). */
  blockLines(parent: number): string[] {
    const out: string[] = [];
    while (this.#i < this.#lines.length) {
      const l = this.#lines[this.#i];
      if (!l) break;
      if (l.text !== '' && l.indent <= parent) break;
      out.push(l.raw);
      this.#i++;
    }
    return out;
  }
}

function literalBlock(header: string, r: Reader, parent: number): string {
  const chomp =
    header === '|' ? 'clip' : header === '|-' ? 'strip' : header === '|+' ? 'keep' : bail();
  const raw = r.blockLines(parent);
  const firstContent = raw.find((l) => l.trim() !== '');
  if (firstContent === undefined) return chomp === 'keep' ? '\n'.repeat(raw.length) : '';
  const indent = firstContent.length - firstContent.trimStart().length;
  if (indent <= parent) return bail();
  // leading blank lines longer than the content's indentation are an error in YAML: leave them
  for (const l of raw) {
    if (l === firstContent) break;
    if (l.length > indent) return bail();
  }
  const body: string[] = [];
  for (const l of raw) {
    if (l.trim() === '') {
      // a blank line with more spaces than the block indent keeps the extra spaces
      body.push(l.length > indent ? l.slice(indent) : '');
      continue;
    }
    if (l.length - l.trimStart().length < indent || l.slice(0, indent).includes('\t'))
      return bail();
    body.push(l.slice(indent));
  }
  // leading blank lines with more indentation than the content would change the block indent
  let text = body.join('\n');
  if (chomp === 'strip') return text.replace(/\n+$/, '');
  const trailing = /\n*$/.exec(text)?.[0].length ?? 0;
  text = text.slice(0, text.length - trailing);
  return chomp === 'clip' ? `${text}\n` : `${text}\n${'\n'.repeat(trailing)}`;
}

function parseValueAfterKey(rest: string, r: Reader, indent: number): Value {
  if (rest === '') {
    const next = r.peek();
    if (!next || next.indent < indent) return null;
    if (next.indent === indent)
      return next.text === '-' || next.text.startsWith('- ') ? parseSeq(r, indent) : null;
    return parseBlock(r, next.indent);
  }
  if (rest.startsWith('|')) return literalBlock(rest, r, indent);
  const v = inlineValue(rest);
  const next = r.peek();
  // a deeper line after an inline value would continue a multi-line scalar
  if (next && next.indent > indent) return bail();
  return v;
}

function parseMap(
  r: Reader,
  indent: number,
  first?: { key: string; rest: string },
): Record<string, Value> {
  const out: Record<string, Value> = {};
  const set = (key: string, v: Value): void => {
    if (Object.hasOwn(out, key) || key === '__proto__') bail();
    out[key] = v;
  };
  if (first) set(first.key, parseValueAfterKey(first.rest, r, indent));
  for (;;) {
    const l = r.peek();
    if (!l || l.indent < indent) return out;
    if (l.indent > indent || l.text.startsWith('- ') || l.text === '-') return bail();
    r.next();
    const e = splitEntry(l.text) ?? bail();
    set(e.key, parseValueAfterKey(e.rest, r, indent));
  }
}

function parseSeq(r: Reader, indent: number): Value[] {
  const out: Value[] = [];
  for (;;) {
    const l = r.peek();
    if (!l || l.indent < indent) return out;
    if (l.indent > indent || !(l.text === '-' || l.text.startsWith('- '))) {
      if (l.indent === indent) return out;
      return bail();
    }
    r.next();
    const content = l.text === '-' ? '' : l.text.slice(2).trimStart();
    const itemIndent = indent + (l.text.length - content.length);
    if (content === '') {
      const next = r.peek();
      out.push(!next || next.indent <= indent ? null : parseBlock(r, next.indent));
      continue;
    }
    if (content === '-' || content.startsWith('- ')) return bail();
    const entry = content.startsWith('|') ? undefined : splitEntry(content);
    if (entry) {
      out.push(parseMap(r, itemIndent, entry));
      continue;
    }
    if (content.startsWith('|')) {
      out.push(literalBlock(content, r, indent));
      continue;
    }
    out.push(inlineValue(content));
    const next = r.peek();
    if (next && next.indent > indent) return bail();
  }
}

function parseBlock(r: Reader, indent: number): Value {
  const l = r.peek();
  if (!l) return null;
  if (l.text === '-' || l.text.startsWith('- ')) return parseSeq(r, indent);
  r.next();
  const e = splitEntry(l.text);
  if (!e) {
    // a lone scalar document or value
    const v = inlineValue(l.text);
    if (r.peek()) return bail();
    return v;
  }
  return parseMap(r, indent, e);
}

function toLines(doc: string): Line[] {
  const out: Line[] = [];
  const parts = doc.split('\n');
  // the text after the last line break is not a line (it matters to `|+` blocks at the end)
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  for (const rawLine of parts) {
    const raw = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    const text = raw.trimStart();
    const indent = raw.length - text.length;
    if (raw.slice(0, indent).includes('\t')) bail();
    out.push({ indent, text: text.trimEnd(), raw });
  }
  return out;
}

/**
 * Parses a multi-document stream of plain block YAML; returns the documents (null for empty
 * ones), or undefined when the text needs the full parser.
 */
export function fastParseYamlDocuments(text: string): Value[] | undefined {
  if (text.includes('\t') || text.startsWith('%') || text.includes('\n%')) return undefined;
  try {
    const docs: Value[] = [];
    for (const chunk of text.split(/^---[ \t]*$/m)) {
      if (/^\.\.\.\s*$/m.test(chunk) || /^---\s/m.test(chunk)) return undefined;
      const r = new Reader(toLines(chunk));
      const first = r.peek();
      if (!first) {
        docs.push(null);
        continue;
      }
      const v = parseBlock(r, first.indent);
      if (r.peek()) return undefined;
      docs.push(v);
    }
    // "a\n---\nb": the stream's first chunk before a leading '---' is not a document
    if (/^---[ \t]*$/m.test(text.split('\n', 1)[0] ?? '')) docs.shift();
    return docs;
  } catch (err) {
    if (err instanceof Bail) return undefined;
    throw err;
  }
}
