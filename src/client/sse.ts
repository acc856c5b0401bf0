/**
 * A Server-Sent Events parser (the WHATWG event-stream format) fed with text chunks as they
 * arrive: `data:` lines of one event are joined with `\n`, an empty line ends the event, comment
 * lines (`:` — Argo CD's keepalive every 15 s) are ignored but counted, `event:`/`id:` are kept,
 * `retry:` is ignored. Line ends may be `\n`, `\r\n` or `\r`, split anywhere across chunks.
 */
export interface SseEvent {
  /** the `event:` field; `message` when absent */
  readonly event: string;
  readonly data: string;
  readonly id: string | undefined;
}

export class SseParser {
  #buffer = '';
  #data: string[] = [];
  #event = '';
  #id: string | undefined;
  #lastId: string | undefined;
  #started = false;
  /** a chunk ended with `\r`: a `\n` at the start of the next chunk belongs to that line end */
  #pendingCr = false;
  #comments = 0;

  /** Number of comment lines seen (keepalives). */
  get comments(): number {
    return this.#comments;
  }

  /** Feeds a chunk; returns the events it completed. */
  push(chunk: string): SseEvent[] {
    let text = chunk;
    if (!this.#started && text.length > 0) {
      this.#started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (this.#pendingCr && text.startsWith('\n')) text = text.slice(1);
    this.#pendingCr = false;
    this.#buffer += text;
    const out: SseEvent[] = [];
    let start = 0;
    for (let i = 0; i < this.#buffer.length; i++) {
      const c = this.#buffer.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      const line = this.#buffer.slice(start, i);
      if (c === 13) {
        if (i + 1 < this.#buffer.length) {
          if (this.#buffer.charCodeAt(i + 1) === 10) i++;
        } else {
          this.#pendingCr = true;
        }
      }
      start = i + 1;
      const ev = this.#line(line);
      if (ev) out.push(ev);
    }
    this.#buffer = this.#buffer.slice(start);
    return out;
  }

  /** Ends the stream: an event without its closing empty line is dropped, as the spec says. */
  end(): SseEvent[] {
    this.#buffer = '';
    this.#data = [];
    this.#event = '';
    return [];
  }

  #line(line: string): SseEvent | undefined {
    if (line === '') {
      if (this.#data.length === 0) {
        this.#event = '';
        return undefined;
      }
      const ev: SseEvent = {
        event: this.#event === '' ? 'message' : this.#event,
        data: this.#data.join('\n'),
        id: this.#lastId,
      };
      this.#data = [];
      this.#event = '';
      return ev;
    }
    if (line.startsWith(':')) {
      this.#comments++;
      return undefined;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data':
        this.#data.push(value);
        break;
      case 'event':
        this.#event = value;
        break;
      case 'id':
        if (!value.includes('\0')) {
          this.#id = value;
          this.#lastId = value;
        }
        break;
      default:
        // `retry` and unknown fields are ignored (spec)
        break;
    }
    return undefined;
  }

  /** The last `id:` seen (for reconnecting with Last-Event-ID). */
  get lastEventId(): string | undefined {
    return this.#id;
  }
}

/**
 * Splits newline-delimited JSON (grpc-gateway's stream format without SSE) across chunks.
 */
export class NdjsonSplitter {
  #buffer = '';

  push(chunk: string): string[] {
    this.#buffer += chunk;
    const lines = this.#buffer.split('\n');
    this.#buffer = lines.pop() ?? '';
    return lines.map((l) => l.trim()).filter((l) => l !== '');
  }

  end(): string[] {
    const rest = this.#buffer.trim();
    this.#buffer = '';
    return rest === '' ? [] : [rest];
  }
}
