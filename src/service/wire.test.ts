// The socket's framing (wire.ts): each message goes out as one frame in one write, at once and in
// order, and comes back as it was sent, the non-finite numbers JSON cannot hold included.
import assert from 'node:assert/strict';
import { connect, createServer, type Socket } from 'node:net';
import { test } from 'node:test';
import type { Message } from 'vscode-jsonrpc/node';
import { CheckedMessageReader, checkedMessageWriter, frameMessage, JsonText, messageJson, parseMessageJson } from './wire';

test('a frame is its Content-Length header (in bytes of UTF-8) and its body', () => {
  const message = { jsonrpc: '2.0', id: 1, result: { note: 'déjà vu ✓' } };
  const frame = frameMessage(message as Message).toString('utf8');
  const body = JSON.stringify(message);
  assert.equal(frame, `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
});

test('non-finite numbers are marked and restored wherever they are; a message without one is plain JSON', () => {
  const plain = { jsonrpc: '2.0', id: 2, result: { a: [1, 2.5, null], b: { c: 'Infinity' } } };
  assert.equal(messageJson(plain), JSON.stringify(plain));
  const odd = { jsonrpc: '2.0', id: 3, result: { remaining: Number.POSITIVE_INFINITY, rows: [{ x: Number.NEGATIVE_INFINITY }, Number.NaN], at: new Date(0) } };
  const text = messageJson(odd);
  assert.match(text, /"remaining":\{"\$nonFinite":"Infinity"\}/);
  assert.deepEqual(parseMessageJson(text), { ...odd, result: { ...odd.result, at: new Date(0).toISOString() } });
});

test('a reply whose result is already JSON text is framed with that text as it is: the frame of the same reply as an object', () => {
  const result = { kind: 'decision', decision: { requestId: 'r-1', probabilities: [0.25, 0.75], note: 'déjà vu ✓' }, budget: { remaining: Number.POSITIVE_INFINITY } };
  for (const id of [7, 'call-7', null]) {
    const asObject = frameMessage({ jsonrpc: '2.0', id, result } as Message);
    const asText = frameMessage({ jsonrpc: '2.0', id, result: new JsonText(messageJson(result)) } as unknown as Message);
    assert.deepEqual(asText, asObject);
    assert.deepEqual(parseMessageJson(asText.toString('utf8').split('\r\n\r\n')[1]!), { jsonrpc: '2.0', id, result });
  }
  // Anywhere else (a trace, a copy) it serializes as the value it holds.
  assert.deepEqual(JSON.parse(JSON.stringify({ wrapped: new JsonText('{"a":[1,2]}') })), { wrapped: { a: [1, 2] } });
  // A message of another shape around it is written as a whole, the text as its value, its marks kept.
  assert.equal(messageJson({ jsonrpc: '2.0', id: 1, result: new JsonText('{"a":1}'), extra: true }), '{"jsonrpc":"2.0","id":1,"result":{"a":1},"extra":true}');
  const marked = messageJson({ jsonrpc: '2.0', id: 2, result: new JsonText(messageJson({ left: Number.NEGATIVE_INFINITY })), extra: 1 });
  assert.deepEqual(parseMessageJson(marked), { jsonrpc: '2.0', id: 2, result: { left: Number.NEGATIVE_INFINITY }, extra: 1 });
});

/** A connected pair of sockets. */
async function socketPair(t: { after(fn: () => void): void }): Promise<[Socket, Socket]> {
  const server = createServer();
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const client = connect(port, '127.0.0.1');
  const other = await accepted;
  t.after(() => {
    client.destroy();
    other.destroy();
    server.close();
  });
  return [client, other];
}

test('each message is written at once in one write, in the order written, and read back whole', async (t) => {
  const [a, b] = await socketPair(t);
  const writes: Buffer[] = [];
  const write = a.write.bind(a) as (chunk: Buffer, callback: (error?: Error | null) => void) => boolean;
  (a as unknown as { write: typeof write }).write = (chunk, callback) => {
    writes.push(Buffer.from(chunk));
    return write(chunk, callback);
  };
  const writer = checkedMessageWriter(a);
  const messages = [1, 2, 3].map((id) => ({ jsonrpc: '2.0', id, method: 'paramloop/status', params: { at: id * 1000, limit: Number.POSITIVE_INFINITY } }) as Message);
  const sent = messages.map((m) => writer.write(m));
  assert.equal(writes.length, 3, 'written at once, one write each');
  assert.deepEqual(writes, messages.map(frameMessage));
  await Promise.all(sent);
  const received: unknown[] = [];
  const reader = new CheckedMessageReader(b, () => assert.fail('no message is refused'));
  await new Promise<void>((resolve) => {
    reader.listen((message) => {
      received.push(message);
      if (received.length === 3) resolve();
    });
  });
  assert.deepEqual(received, messages);
});

test('a write to a closed socket is refused and reported, not thrown', async (t) => {
  const [a] = await socketPair(t);
  const writer = checkedMessageWriter(a);
  const errors: Error[] = [];
  writer.onError(([error]) => errors.push(error));
  a.destroy();
  await assert.rejects(writer.write({ jsonrpc: '2.0', id: 1, result: null } as Message));
  assert.ok(errors.length >= 1);
});
