/**
 * Becoming the serving process or a client of it (ARCHITECTURE.md §"One learner per user"). The
 * process that holds the store's lock serves; `establish` reads the lock and either opens the
 * service (the lock was free, or its holder died and this process won the claim to take it over:
 * takeover.ts), or connects to the holder's socket and says hello with the lock's secret. It keeps
 * trying, every few tens of milliseconds, while the state is in between (a holder opening the store
 * and not yet listening, a lock being released), until its deadline. A client only (`serve: false`,
 * for a command that must not write the log, such as `paramloop status`) never opens the service:
 * where it would, it fails at once with a ServiceUnavailableError saying that no process serves.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { createMessageConnection, ResponseError, type MessageConnection } from 'vscode-jsonrpc/node';
import { prepareStoreFolder } from '../store/folder';
import { StoreLockedError } from '../store/lock';
import { OptimizerService, type OpenServiceOptions, type ServiceSettings } from './optimizerService';
import { errorCodes, hello, protocolVersion, type HelloResult, type ServerKind } from './protocol';
import { ServiceServer } from './server';
import { ServiceUnavailableError } from './serviceError';
import { ServingCore } from './serving';
import { ensurePrivateFolder, socketPlace, type SocketPlace } from './socketPlace';
import { claimTakeover, readLockState, sweepClaims, type LockState } from './takeover';
import { CheckedMessageReader, checkedMessageWriter } from './wire';

/** How to serve, should this process be the one. */
export interface ConnectOptions {
  /** This process serves when no other does (the default); see ClientConnectOptions for a client only. */
  serve?: true;
  /** The settings the service learns with when this process serves (the serving process's rule). */
  settings: ServiceSettings;
  /** How the service opens its log when this process serves. */
  open: OpenServiceOptions;
  /** What this process is, as its clients will be told. */
  kind: ServerKind;
  /** How long connecting (and each reconnection) keeps trying before it gives up (default 15 s). */
  timeoutMs?: number;
  /** While this process serves: how often decisions whose outcome never came are closed (default 60 s). */
  expireEveryMs?: number;
  /** A client rehearses a takeover once in the background (rehearsal.ts; default true). */
  rehearse?: boolean;
  /** Where connecting and serving report what happened (a takeover, a refused client). */
  log?: (message: string) => void;
}

/**
 * A client only: connects to the process that serves and never serves itself (no lock taken, no
 * rehearsal, nothing written). While no process serves, connecting fails with a
 * ServiceUnavailableError; so does a reconnection after the serving process went away.
 */
export interface ClientConnectOptions {
  serve: false;
  /** What this process is, as the serving process will be told. */
  kind: ServerKind;
  /** How long connecting keeps trying while a holder of the lock does not answer yet (default 15 s). */
  timeoutMs?: number;
  log?: (message: string) => void;
}

/** The process that serves: this one or another, with its pid and kind, serving since when. */
export interface ServingProcess {
  thisProcess: boolean;
  pid: number;
  kind: ServerKind;
  since: number;
}

/** This process serves. */
export interface LocalEndpoint {
  kind: 'local';
  service: OptimizerService;
  core: ServingCore;
  server: ServiceServer;
  serving: ServingProcess;
}

/** This process is a client of the serving one. */
export interface RemoteEndpoint {
  kind: 'remote';
  connection: MessageConnection;
  socket: Socket;
  serving: ServingProcess;
}

export type Endpoint = LocalEndpoint | RemoteEndpoint;

/** How long one connection attempt (connect and hello) may take. */
const helloTimeoutMs = 2000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Serves the store in `dir`, or connects to the process that does, trying until the deadline. A
 * stale lock is claimed only `claimDelayMs` after it was first seen (a process slower to take over
 * gives the faster ones a head start).
 */
export async function establish(dir: string, options: ConnectOptions | ClientConnectOptions, claimDelayMs = 0): Promise<Endpoint> {
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  const clientOnly = options.serve === false;
  await prepareStoreFolder(dir, clientOnly);
  if (clientOnly && !existsSync(dir)) throw new ServiceUnavailableError(dir, 'no process serves it (there is no such folder)');
  const place = await socketPlace(dir);
  // A client only creates nothing: without the socket's folder nothing listens yet.
  if (!clientOnly || existsSync(place.folder)) await ensurePrivateFolder(place.folder);
  let staleSince: number | undefined;
  for (;;) {
    const state = await readLockState(dir);
    if (state.kind === 'stale' && claimDelayMs > 0) {
      staleSince ??= Date.now();
      const wait = staleSince + claimDelayMs - Date.now();
      if (wait > 0) {
        await sleep(Math.min(wait, 25));
        continue;
      }
    }
    const reached = await attempt(dir, place, state, options);
    if (typeof reached !== 'string') return reached;
    if (Date.now() >= deadline) throw new ServiceUnavailableError(dir, `after ${options.timeoutMs ?? 15_000} ms still waiting for ${reached}`);
    await sleep(10 + Math.random() * 20);
  }
}

/** One attempt: an endpoint, or what is being waited for. */
async function attempt(dir: string, place: SocketPlace, state: LockState, options: ConnectOptions | ClientConnectOptions): Promise<Endpoint | string> {
  switch (state.kind) {
    case 'foreign':
      throw new ServiceUnavailableError(dir, `process ${state.holder.pid} on host ${state.holder.host} holds its lock; only a process on that host can serve it`);
    case 'free':
      if (options.serve === false) throw new ServiceUnavailableError(dir, 'no process serves it (nothing holds its lock)');
      return (await serve(dir, place, options)) ?? 'another process that took the free lock to serve';
    case 'stale': {
      if (options.serve === false) throw new ServiceUnavailableError(dir, `no process serves it (process ${state.holder?.pid ?? 'unknown'}, which held its lock, has ended)`);
      const claim = await claimTakeover(place.folder, state.key);
      if (claim === undefined) return 'the process taking over from a process that ended to serve';
      try {
        const now = await readLockState(dir);
        if (now.kind !== 'stale' || now.key !== state.key) return 'the lock to settle';
        options.log?.(`taking over the store: the process that held it (${state.holder?.pid ?? 'unknown'}) has ended`);
        return (await serve(dir, place, options)) ?? 'another process that took over the lock to serve';
      } finally {
        await claim.release();
      }
    }
    case 'live': {
      const { holder } = state;
      if (holder.secret === undefined) {
        const why = `process ${holder.pid}, which holds the store without serving it (a lock without a secret: an older version, or a command that writes the store directly)`;
        if (options.serve === false) throw new ServiceUnavailableError(dir, `no process serves it: ${why}`);
        return why;
      }
      const remote = await connectTo(place, holder.secret, options.kind);
      if (remote !== undefined) return remote;
      // A lock of this very process that no connection of it serves: the store's lock tells a
      // copied lock file (taken over) from one this process holds (refused).
      if (holder.pid === process.pid && options.serve !== false) return (await serve(dir, place, options)) ?? `this process's own open store to serve`;
      return `process ${holder.pid}, which holds the store, to answer on ${place.path}`;
    }
  }
}

/** Opens the service and listens; undefined when another process holds the lock after all. */
async function serve(dir: string, place: SocketPlace, options: ConnectOptions): Promise<LocalEndpoint | undefined> {
  const settings: ServiceSettings = {
    ...options.settings,
    // Request ids unique to this serving process: a decision the previous server made and a client
    // logs after the handover (serving.ts) can never share its id with one made here.
    guarded: { ...options.settings.guarded, requestIdNonce: options.settings.guarded?.requestIdNonce ?? `${randomBytes(4).toString('hex')}-` },
  };
  const started = performance.now();
  let service: OptimizerService;
  try {
    service = await OptimizerService.open(dir, settings, options.open);
  } catch (error) {
    if (error instanceof StoreLockedError) return undefined;
    throw error;
  }
  const token = service.store.lockHolder?.secret;
  if (token === undefined) {
    await service.close();
    throw new ServiceUnavailableError(dir, 'the service opened without a lock secret (read-only?)');
  }
  const since = Date.now();
  const core = new ServingCore(service, options.expireEveryMs);
  let server: ServiceServer;
  try {
    server = await ServiceServer.listen(core, { place, token, kind: options.kind, since, ...(options.log ? { log: options.log } : {}) });
  } catch (error) {
    await service.close().catch(() => undefined);
    throw error;
  }
  await sweepClaims(place.folder);
  options.log?.(`serving the store (opened and restored in ${Math.round(performance.now() - started)} ms)`);
  return { kind: 'local', service, core, server, serving: { thisProcess: true, pid: process.pid, kind: options.kind, since } };
}

/** Connects and says hello; undefined when nothing answers there, or not as the lock's holder. */
async function connectTo(place: SocketPlace, token: string, kind: ServerKind): Promise<RemoteEndpoint | undefined> {
  const socket = await new Promise<Socket | undefined>((resolve) => {
    const s = createConnection(place.path);
    s.once('connect', () => resolve(s));
    s.once('error', () => resolve(undefined));
  });
  if (socket === undefined) return undefined;
  socket.on('error', () => socket.destroy());
  const reader = new CheckedMessageReader(socket, () => socket.destroy());
  const connection = createMessageConnection(reader, checkedMessageWriter(socket));
  connection.listen();
  const closed = new Promise<undefined>((resolve) => socket.once('close', () => resolve(undefined)));
  const timeout = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), helloTimeoutMs).unref());
  let mismatch: string | undefined;
  const greeting = connection
    .sendRequest(hello.method, { protocolVersion, token, pid: process.pid, kind })
    .then((raw: unknown) => {
      const parsed = hello.result.safeParse(raw);
      return parsed.success ? parsed.data : undefined;
    })
    .catch((error: unknown) => {
      if (error instanceof ResponseError && error.code === errorCodes.protocolMismatch) mismatch = error.message;
      return undefined;
    });
  const answer: HelloResult | undefined = await Promise.race([greeting, closed, timeout]);
  if (answer === undefined || answer.protocolVersion !== protocolVersion) {
    connection.dispose();
    socket.destroy();
    if (mismatch !== undefined) throw new ServiceUnavailableError(place.path, `the serving process refused this one: ${mismatch}`);
    return undefined;
  }
  return { kind: 'remote', connection, socket, serving: { thisProcess: false, pid: answer.pid, kind: answer.kind, since: answer.since } };
}
