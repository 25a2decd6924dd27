/**
 * The optimizer service's socket as JSON-RPC messages: `Content-Length` framing (as vscode-jsonrpc
 * writes it), with every inbound message checked before the connection sees it.
 *
 * vscode-jsonrpc's own reader passes on, or silently drops, what is not a JSON-RPC message (a body
 * that is not JSON, `{"foo":1}`, an id that is an object) and buffers a message of any announced
 * length. This reader instead answers each such message with a JSON-RPC error naming what was wrong
 * (the id when it can be read, else null), and a header it cannot frame (no Content-Length, a length
 * beyond `maxMessageBytes`) with an error too, after which the stream cannot be trusted and the
 * connection is closed. Nothing a peer sends can throw in the process.
 *
 * JSON has no ±Infinity or NaN, which the core uses (an unlimited budget's remaining tokens): the
 * writer sends them as `{"$nonFinite":"Infinity"}` and the reader turns that back into the number.
 * Both take JSON's fast path (no replacer, no reviver) for the messages that hold none.
 *
 * The writer sends each message as one frame in one write, at once: vscode-jsonrpc's socket writer
 * queues each message behind a setImmediate, writes its header, waits for that write's callback,
 * then writes the body, so every message cost the sender an event-loop turn and two system calls,
 * and the receiver two wake-ups.
 */
import type { Socket } from 'node:net';
import { AbstractMessageReader, AbstractMessageWriter, type DataCallback, type Disposable, type Message, type MessageWriter, type ResponseMessage } from 'vscode-jsonrpc/node';
import { z } from 'zod';
import { describeIssues, errorCodes } from './protocol';

/** The longest message accepted (bytes of its body). */
export const maxMessageBytes = 8 * 2 ** 20;
/** The longest header block accepted (bytes). */
const maxHeaderBytes = 4096;
const nonFiniteKey = '$nonFinite';

const id = z.union([z.number().int(), z.string().max(200)]);
const params = z.union([z.record(z.string(), z.unknown()), z.array(z.unknown())]).optional();
const requestOrNotification = z.strictObject({ jsonrpc: z.literal('2.0'), id: id.optional(), method: z.string().min(1).max(200), params });
const response = z.union([
  z.strictObject({ jsonrpc: z.literal('2.0'), id: id.nullable(), result: z.unknown() }),
  z.strictObject({ jsonrpc: z.literal('2.0'), id: id.nullable(), error: z.strictObject({ code: z.number().int(), message: z.string(), data: z.unknown().optional() }) }),
]);

/** Why `value` is not a JSON-RPC message, or undefined when it is one. */
export function envelopeProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'a message must be a JSON object (batches are not accepted)';
  if ('method' in value) {
    const parsed = requestOrNotification.safeParse(value);
    return parsed.success ? undefined : describeIssues(parsed.error);
  }
  if ('result' in value || 'error' in value) {
    const parsed = response.safeParse(value);
    return parsed.success ? undefined : describeIssues(parsed.error);
  }
  return 'a message needs a "method" (a request or notification) or a "result" or "error" (a response)';
}

/** The id of a message that is not valid, when it has a usable one (to answer it by). */
function idOf(value: unknown): number | string | null {
  if (typeof value !== 'object' || value === null || !('id' in value)) return null;
  const parsed = id.safeParse(value.id);
  return parsed.success ? parsed.data : null;
}

/** Restores the non-finite numbers the writer marked. */
function reviveNonFinite(_key: string, value: unknown): unknown {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === nonFiniteKey) {
      const token = (value as Record<string, unknown>)[nonFiniteKey];
      if (token === 'Infinity') return Number.POSITIVE_INFINITY;
      if (token === '-Infinity') return Number.NEGATIVE_INFINITY;
      if (token === 'NaN') return Number.NaN;
    }
  }
  return value;
}

function markNonFinite(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? { [nonFiniteKey]: String(value) } : value;
}

/** Whether `value` holds a number JSON cannot write (±Infinity, NaN) anywhere that JSON.stringify would write it. */
function holdsNonFinite(value: unknown, depth = 0): boolean {
  if (typeof value === 'number') return !Number.isFinite(value);
  if (typeof value !== 'object' || value === null || depth > 64) return false;
  if (Array.isArray(value)) {
    for (const item of value) if (holdsNonFinite(item, depth + 1)) return true;
    return false;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return false;
  for (const key in value) if (Object.hasOwn(value, key) && holdsNonFinite((value as Record<string, unknown>)[key], depth + 1)) return true;
  return false;
}

/**
 * A value already written as JSON text (by `messageJson`): a reply whose result is one is framed
 * with the text as it is, not written again. Anything else that serializes it writes the same value.
 */
export class JsonText {
  constructor(readonly text: string) {}

  /** The value with its non-finite numbers still marked: what JSON text can hold. */
  toJSON(): unknown {
    return JSON.parse(this.text);
  }
}

/** A message as JSON text, its non-finite numbers marked. */
export function messageJson(message: unknown): string {
  if (typeof message === 'object' && message !== null && (message as { result?: unknown }).result instanceof JsonText) {
    const reply = message as { jsonrpc: unknown; id?: unknown; result: JsonText };
    if (reply.jsonrpc === '2.0' && Object.keys(reply).length === 3 && 'id' in reply) return `{"jsonrpc":"2.0","id":${messageJson(reply.id ?? null)},"result":${reply.result.text}}`;
  }
  return JSON.stringify(message, holdsNonFinite(message) ? markNonFinite : undefined);
}

/** JSON text back into a message, the marked non-finite numbers restored. */
export function parseMessageJson(body: string): unknown {
  return body.includes(`"${nonFiniteKey}"`) ? JSON.parse(body, reviveNonFinite) : JSON.parse(body);
}

/** A message framed as it goes on the wire: its `Content-Length` header and its UTF-8 body, in one buffer. */
export function frameMessage(message: Message): Buffer {
  const body = messageJson(message);
  const bodyBytes = Buffer.byteLength(body, 'utf8');
  const header = `Content-Length: ${bodyBytes}\r\n\r\n`;
  const frame = Buffer.allocUnsafe(header.length + bodyBytes);
  frame.write(header, 0, 'latin1');
  frame.write(body, header.length, 'utf8');
  return frame;
}

/** A JSON-RPC error response. */
export function errorResponse(responseId: number | string | null, code: number, message: string): ResponseMessage {
  return { jsonrpc: '2.0', id: responseId, error: { code, message } };
}

/**
 * Reads framed messages from a socket; `reject` receives the error response for each message that
 * is not valid, and `fatal` tells whether the stream must be closed after it.
 */
export class CheckedMessageReader extends AbstractMessageReader {
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
  private bodyLength = -1;
  private stopped = false;

  constructor(
    private readonly socket: Socket,
    private readonly reject: (response: ResponseMessage, fatal: boolean) => void,
  ) {
    super();
  }

  listen(callback: DataCallback): Disposable {
    const onData = (chunk: Buffer): void => this.onData(chunk, callback);
    const onError = (error: Error): void => this.fireError(error);
    const onClose = (): void => this.fireClose();
    this.socket.on('data', onData);
    this.socket.on('error', onError);
    this.socket.on('close', onClose);
    return {
      dispose: () => {
        this.socket.off('data', onData);
        this.socket.off('error', onError);
        this.socket.off('close', onClose);
      },
    };
  }

  private take(bytes: number): Buffer {
    const all = this.buffered.length === 1 ? this.buffered[0]! : Buffer.concat(this.buffered);
    const taken = all.subarray(0, bytes);
    const rest = all.subarray(bytes);
    this.buffered = rest.length > 0 ? [rest] : [];
    this.bufferedBytes = rest.length;
    return taken;
  }

  private fail(message: string): void {
    this.stopped = true;
    this.buffered = [];
    this.bufferedBytes = 0;
    this.reject(errorResponse(null, errorCodes.parseError, message), true);
  }

  private onData(chunk: Buffer, callback: DataCallback): void {
    if (this.stopped) return;
    this.buffered.push(chunk);
    this.bufferedBytes += chunk.length;
    for (;;) {
      if (this.bodyLength < 0) {
        const all = this.buffered.length === 1 ? this.buffered[0]! : Buffer.concat(this.buffered);
        this.buffered = [all];
        const end = all.indexOf('\r\n\r\n');
        if (end < 0) {
          if (all.length > maxHeaderBytes) this.fail(`message header longer than ${maxHeaderBytes} bytes without its blank line`);
          return;
        }
        const header = this.take(end + 4).subarray(0, end).toString('ascii');
        const length = contentLength(header);
        if (typeof length === 'string') return this.fail(length);
        this.bodyLength = length;
      }
      if (this.bufferedBytes < this.bodyLength) return;
      const body = this.take(this.bodyLength).toString('utf8');
      this.bodyLength = -1;
      this.deliver(body, callback);
      if (this.stopped) return;
    }
  }

  private deliver(body: string, callback: DataCallback): void {
    let value: unknown;
    try {
      value = parseMessageJson(body);
    } catch (error) {
      this.reject(errorResponse(null, errorCodes.parseError, `message body is not JSON: ${error instanceof Error ? error.message : String(error)}`), false);
      return;
    }
    const problem = envelopeProblem(value);
    if (problem !== undefined) {
      this.reject(errorResponse(idOf(value), errorCodes.invalidRequest, `not a JSON-RPC 2.0 message: ${problem}`), false);
      return;
    }
    callback(value as Message);
  }
}

/** The body length a header announces, or why it cannot be used. */
function contentLength(header: string): number | string {
  let length: number | undefined;
  for (const line of header.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) return `message header line without a name and a colon: ${JSON.stringify(line.slice(0, 80))}`;
    if (line.slice(0, colon).trim().toLowerCase() !== 'content-length') continue;
    const value = line.slice(colon + 1).trim();
    if (!/^\d{1,10}$/.test(value)) return `Content-Length is not a number of bytes: ${JSON.stringify(value.slice(0, 40))}`;
    length = Number(value);
  }
  if (length === undefined) return 'message header without a Content-Length';
  if (length > maxMessageBytes) return `message of ${length} bytes is longer than the ${maxMessageBytes} accepted`;
  return length;
}

/** Writes framed messages, each in one write as it comes, non-finite numbers marked (see the file comment). */
class FramedMessageWriter extends AbstractMessageWriter implements MessageWriter {
  private errorCount = 0;

  constructor(private readonly socket: Socket) {
    super();
    socket.on('error', (error: Error) => this.fireError(error));
    socket.on('close', () => this.fireClose());
  }

  write(message: Message): Promise<void> {
    let frame: Buffer;
    try {
      frame = frameMessage(message);
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      this.fireError(failure, message, ++this.errorCount);
      return Promise.reject(failure);
    }
    // Written at once, in the order written: the socket keeps the order of its writes.
    return new Promise((resolve, reject) => {
      this.socket.write(frame, (error) => {
        if (error === undefined || error === null) return resolve();
        this.fireError(error, message, ++this.errorCount);
        reject(error);
      });
    });
  }

  end(): void {
    this.socket.end();
  }

  override dispose(): void {
    super.dispose();
    this.socket.destroy();
  }
}

/** Writes framed messages, non-finite numbers marked (see the file comment). */
export function checkedMessageWriter(socket: Socket): MessageWriter {
  return new FramedMessageWriter(socket);
}
