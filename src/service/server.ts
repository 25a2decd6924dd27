/**
 * The serving process's socket (ARCHITECTURE.md §"One learner per user"): listens beside the store
 * (socketPlace.ts), greets each connection with `paramloop/hello` (the lock's secret, compared in
 * constant time, and the protocol version), validates every request's params against protocol.ts
 * and runs it on the ServingCore. A peer that says anything but hello first, or a wrong secret, is
 * answered with an error naming why and disconnected; a malformed message is answered with an error
 * (wire.ts). Nothing a client sends can stop the server or change the store but a valid operation.
 *
 * Listening replaces a socket file a killed server left behind: only the lock's holder listens, so
 * a socket file found then belongs to no one.
 */
import { timingSafeEqual } from 'node:crypto';
import { chmod, unlink } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { createMessageConnection, ResponseError, type Disposable, type Message, type MessageConnection, type MessageWriter } from 'vscode-jsonrpc/node';
import { describeIssues, errorCodes, hello, operationByMethod, operations, protocolVersion, type HelloResult, type OperationName, type ServerKind } from './protocol';
import { ServiceError } from './serviceError';
import type { ServingCore } from './serving';
import { ensurePrivateFolder, type SocketPlace } from './socketPlace';
import { CheckedMessageReader, checkedMessageWriter } from './wire';

/** How the server presents itself and whom it lets in. */
export interface ServeOptions {
  place: SocketPlace;
  /** The lock's secret: a client must present it in its hello. */
  token: string;
  kind: ServerKind;
  /** When this process began to serve (ms since the epoch). */
  since: number;
  /** A connection that has not said hello within this long is closed (default 5 s). */
  helloTimeoutMs?: number;
  /** Where the server reports what went wrong with a peer (default: nowhere). */
  log?: (message: string) => void;
}

/** A writer that ends the socket once a refusal (hello required, wrong token) has been written. */
class RefusingWriter implements MessageWriter {
  closeAfterWrite = false;

  constructor(
    private readonly inner: MessageWriter,
    private readonly socket: Socket,
  ) {}

  get onError(): MessageWriter['onError'] {
    return this.inner.onError;
  }

  get onClose(): MessageWriter['onClose'] {
    return this.inner.onClose;
  }

  async write(message: Message): Promise<void> {
    await this.inner.write(message);
    if (this.closeAfterWrite) this.socket.end();
  }

  end(): void {
    this.inner.end();
  }

  dispose(): void {
    this.inner.dispose();
  }
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

export class ServiceServer {
  private readonly sockets = new Set<Socket>();
  private readonly connections = new Set<MessageConnection>();
  private closed = false;

  private constructor(
    private readonly server: Server,
    private readonly core: ServingCore,
    private readonly options: ServeOptions,
  ) {}

  /** Starts listening for `core`'s clients. */
  static async listen(core: ServingCore, options: ServeOptions): Promise<ServiceServer> {
    await ensurePrivateFolder(options.place.folder);
    const server = createServer();
    const serving = new ServiceServer(server, core, options);
    server.on('connection', (socket) => serving.accept(socket));
    try {
      await listenOn(server, options.place.path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || process.platform === 'win32') throw error;
      // Left by a server that was killed: this process holds the lock, so no one else listens here.
      await unlink(options.place.path);
      await listenOn(server, options.place.path);
    }
    if (process.platform !== 'win32') await chmod(options.place.path, 0o600);
    return serving;
  }

  /** Clients connected now (greeted or not). */
  get clientCount(): number {
    return this.sockets.size;
  }

  private accept(socket: Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    const log = this.options.log ?? (() => undefined);
    const writer = new RefusingWriter(checkedMessageWriter(socket), socket);
    const reader = new CheckedMessageReader(socket, (response, fatal) => {
      log(`refused a message from a client: ${response.error?.message ?? ''}`);
      if (fatal) writer.closeAfterWrite = true;
      writer.write(response).catch(() => socket.destroy());
    });
    const connection = createMessageConnection(reader, writer);
    this.connections.add(connection);
    let greeted = false;
    const timer = setTimeout(() => {
      if (!greeted) socket.destroy();
    }, this.options.helloTimeoutMs ?? 5000);
    timer.unref();
    const refuse = (code: number, message: string): never => {
      log(message);
      writer.closeAfterWrite = true;
      throw new ResponseError(code, message);
    };
    connection.onRequest(async (method, params) => {
      if (method === hello.method) {
        const parsed = hello.params.safeParse(params);
        if (!parsed.success) return refuse(errorCodes.invalidParams, `${hello.method}: invalid params: ${describeIssues(parsed.error)}`);
        if (parsed.data.protocolVersion !== protocolVersion) {
          return refuse(errorCodes.protocolMismatch, `this server speaks protocol version ${protocolVersion}, the client ${parsed.data.protocolVersion}: update the older of the two`);
        }
        if (!sameSecret(parsed.data.token, this.options.token)) return refuse(errorCodes.tokenRefused, `the token is not the secret of the store's lock (process ${parsed.data.pid} was refused)`);
        greeted = true;
        const answer: HelloResult = { protocolVersion, pid: process.pid, kind: this.options.kind, since: this.options.since };
        return answer;
      }
      if (!greeted) return refuse(errorCodes.helloRequired, `${method} before ${hello.method}: a connection must first present the lock's secret`);
      const name = operationByMethod.get(method);
      if (name === undefined) throw new ResponseError(errorCodes.methodNotFound, `unknown method ${method}; the methods are ${[...operationByMethod.keys()].join(', ')}`);
      return this.run(name, params ?? {});
    });
    // Notifications have no answer to give; the protocol has none, so they are ignored.
    connection.onNotification(() => undefined);
    connection.onError(([error]) => log(`a client connection failed: ${error.message}`));
    const cleanup: Disposable = connection.onClose(() => {
      clearTimeout(timer);
      cleanup.dispose();
      connection.dispose();
      this.connections.delete(connection);
      this.sockets.delete(socket);
    });
    socket.on('close', () => {
      this.sockets.delete(socket);
      this.connections.delete(connection);
    });
    socket.on('error', () => socket.destroy());
    connection.listen();
  }

  private async run<N extends OperationName>(name: N, raw: unknown): Promise<unknown> {
    const operation = operations[name];
    const parsed = operation.params.safeParse(raw);
    if (!parsed.success) throw new ResponseError(errorCodes.invalidParams, `${operation.method}: invalid params: ${describeIssues(parsed.error)}`);
    try {
      // The result as the JSON text of the reply: written into the frame as it is.
      return await this.core.executeToJson(name, parsed.data as never);
    } catch (error) {
      if (error instanceof ServiceError) throw new ResponseError(error.code, error.message);
      throw new ResponseError(errorCodes.operationFailed, error instanceof Error ? error.message : String(error));
    }
  }

  /**
   * Stops serving: no new connection, operations still running are answered (new ones are told to
   * ask the next server), then every connection is closed and the socket removed. The caller then
   * closes the service, which releases the lock for the next server.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.core.drain();
    // Let the answers just computed reach their writers before the sockets end.
    await new Promise((resolve) => setImmediate(resolve));
    for (const socket of this.sockets) socket.end();
    const ending = [...this.sockets].map((socket) => new Promise<void>((resolve) => (socket.closed ? resolve() : socket.once('close', () => resolve()))));
    const timeout = setTimeout(() => {
      for (const socket of this.sockets) socket.destroy();
    }, 1000);
    await Promise.all(ending);
    clearTimeout(timeout);
    for (const connection of this.connections) connection.dispose();
    await stopped;
    if (process.platform !== 'win32') await unlink(this.options.place.path).catch(() => undefined);
  }
}

function listenOn(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      server.off('listening', onListening);
      reject(error);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(path);
  });
}
