import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SseParser, type SseEvent } from './sse';

const stream = 'event: message_start\r\ndata: {"a":1}\r\n\r\n: a comment\n\ndata: first\ndata: second\n\nevent: ping\rdata:{}\r\rdata: [DONE]\n\n';
const expected: SseEvent[] = [
  { event: 'message_start', data: '{"a":1}' },
  { event: 'message', data: 'first\nsecond' },
  { event: 'ping', data: '{}' },
  { event: 'message', data: '[DONE]' },
];

test('events come out whole, with LF, CRLF and CR line ends, comments skipped and data lines joined', () => {
  const parser = new SseParser();
  assert.deepEqual(parser.push(stream), expected);
  assert.equal(parser.end(), false);
});

test('a stream split at every position gives the same events', () => {
  for (let cut = 0; cut <= stream.length; cut++) {
    const parser = new SseParser();
    const events = [...parser.push(stream.slice(0, cut)), ...parser.push(stream.slice(cut))];
    assert.deepEqual(events, expected, `split at ${cut}`);
  }
});

test('a stream fed one character at a time gives the same events', () => {
  const parser = new SseParser();
  const events = [...stream].flatMap((c) => parser.push(c));
  assert.deepEqual(events, expected);
});

test('an event without its blank line is unfinished at the end, and a blank line without data dispatches nothing', () => {
  const parser = new SseParser();
  assert.deepEqual(parser.push('\ufeffevent: x\n\n\ndata: {"partial"'), []);
  assert.equal(parser.end(), true);
});

test('the id field is kept, a single space after the colon is stripped and no more', () => {
  const parser = new SseParser();
  assert.deepEqual(parser.push('id: 7\ndata:  two spaces\ndata\n\n'), [{ event: 'message', data: ' two spaces\n', id: '7' }]);
});
