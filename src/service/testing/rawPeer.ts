// A hand-written peer for the socket tests: sends whatever bytes a test gives it (well-formed or
// not) and reads back the framed responses, so that the server's handling of bad input is seen as a
// client sees it.
import { createConnection, type Socket } from 'node:net';

/** A response as received. */
export interface RawResponse {
  id?: number | string | null;
  result?: unknown;
  error?: { code: number; message: string };
}

export interface RawPeer {
  socket: Socket;
  /** Sends one framed message (an object is JSON-encoded; a string is sent as the body as it is). */
  send(body: unknown): void;
  /** Sends raw bytes, headers and all. */
  sendBytes(bytes: string): void;
  /** The next response not yet taken. */
  next(timeoutMs?: number): Promise<RawResponse>;
  /** Resolves when the server closes the connection. */
  closed: Promise<void>;
}

export function frame(body: string): string {
  return `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

export async function rawPeer(path: string): Promise<RawPeer> {
  const socket = createConnection(path);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  const responses: RawResponse[] = [];
  const waiting: ((response: RawResponse) => void)[] = [];
  let buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (;;) {
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/Content-Length: (\d+)/i.exec(buffer.subarray(0, end).toString('ascii'))?.[1]);
      if (buffer.length < end + 4 + length) return;
      const response = JSON.parse(buffer.subarray(end + 4, end + 4 + length).toString('utf8')) as RawResponse;
      buffer = buffer.subarray(end + 4 + length);
      const waiter = waiting.shift();
      if (waiter) waiter(response);
      else responses.push(response);
    }
  });
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return {
    socket,
    closed,
    send(body) {
      socket.write(frame(typeof body === 'string' ? body : JSON.stringify(body)));
    },
    sendBytes(bytes) {
      socket.write(bytes);
    },
    next(timeoutMs = 5000) {
      const ready = responses.shift();
      if (ready) return Promise.resolve(ready);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no response within ${timeoutMs} ms`)), timeoutMs);
        waiting.push((response) => {
          clearTimeout(timer);
          resolve(response);
        });
      });
    },
  };
}
