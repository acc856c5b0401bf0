import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NdjsonSplitter, SseParser, type SseEvent } from './index.js';

function parseAll(chunks: readonly string[]): { events: SseEvent[]; comments: number } {
  const p = new SseParser();
  const events = chunks.flatMap((c) => p.push(c));
  events.push(...p.end());
  return { events, comments: p.comments };
}

describe('SseParser', () => {
  const cases: { name: string; chunks: string[]; want: string[]; comments?: number }[] = [
    { name: 'one event', chunks: ['data: {"result":1}\n\n'], want: ['{"result":1}'] },
    {
      name: 'two events in one chunk',
      chunks: ['data: a\n\ndata: b\n\n'],
      want: ['a', 'b'],
    },
    {
      name: 'an event split in the middle of a line',
      chunks: ['da', 'ta: {"res', 'ult":2}\n', '\n'],
      want: ['{"result":2}'],
    },
    {
      name: 'multi-line data joined with newlines',
      chunks: ['data: a\ndata: b\n\n'],
      want: ['a\nb'],
    },
    {
      name: 'keepalive comments are ignored and counted',
      chunks: [':\n\n', ': keepalive\n', 'data: x\n\n', ':\n\n'],
      want: ['x'],
      comments: 3,
    },
    { name: 'CRLF line ends', chunks: ['data: a\r\n\r\ndata: b\r\n\r\n'], want: ['a', 'b'] },
    {
      name: 'CRLF split between chunks is one line end',
      chunks: ['data: a\r', '\n\r', '\ndata: b\r\n\r\n'],
      want: ['a', 'b'],
    },
    { name: 'bare CR line ends', chunks: ['data: a\r\rdata: b\r\r'], want: ['a', 'b'] },
    {
      name: 'no space after the colon keeps the value whole',
      chunks: ['data:x\n\n', 'data:  two\n\n'],
      want: ['x', ' two'],
    },
    { name: 'a leading BOM is dropped', chunks: ['\ufeffdata: a\n\n'], want: ['a'] },
    {
      name: 'an event without its closing blank line is dropped at the end',
      chunks: ['data: a\n\ndata: unfinished\n'],
      want: ['a'],
    },
    { name: 'empty data lines still make an event', chunks: ['data\n\n'], want: [''] },
    {
      name: 'retry and unknown fields are ignored',
      chunks: ['retry: 10\nfoo: bar\ndata: a\n\n'],
      want: ['a'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = parseAll(c.chunks);
      assert.deepEqual(
        got.events.map((e) => e.data),
        c.want,
      );
      if (c.comments !== undefined) assert.equal(got.comments, c.comments);
    });
  }

  it('keeps the event type and the last id', () => {
    const p = new SseParser();
    const [ev] = p.push('event: update\nid: 7\ndata: a\n\n');
    assert.deepEqual(ev, { event: 'update', data: 'a', id: '7' });
    const [ev2] = p.push('data: b\n\n');
    assert.deepEqual(ev2, { event: 'message', data: 'b', id: '7' });
    assert.equal(p.lastEventId, '7');
  });

  it('handles a stream fed one character at a time', () => {
    const text = ':\n\ndata: {"result":{"type":"ADDED"}}\r\n\r\ndata: 2\n\n';
    const got = parseAll(Array.from({ length: text.length }, (_, i) => text.charAt(i)));
    assert.deepEqual(
      got.events.map((e) => e.data),
      ['{"result":{"type":"ADDED"}}', '2'],
    );
  });
});

describe('NdjsonSplitter', () => {
  it('splits lines across chunks and keeps the last partial line until the end', () => {
    const s = new NdjsonSplitter();
    assert.deepEqual(s.push('{"a":1}\n{"b"'), ['{"a":1}']);
    assert.deepEqual(s.push(':2}\n\n{"c":3}'), ['{"b":2}']);
    assert.deepEqual(s.end(), ['{"c":3}']);
  });
});
