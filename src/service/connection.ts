/**
 * `connect(dir, options)`: the optimizer service of the user's store, whoever serves it
 * (ARCHITECTURE.md §"One learner per user"). The connection offers the service's operations in this
 * process alike whether it serves (`role` 'serve': it holds the lock, the OptimizerService is
 * `service`, and the user's other processes are its clients) or is a client of the process that
 * does (`role` 'client'). When the serving process goes away (closed, crashed, killed), a client
 * takes the lock over or reconnects to the process that did, at once, whether or not a request is
 * waiting; a request in flight meanwhile is sent again to the next server, marked as a retry, and
 * the serving side answers it without applying it twice (serving.ts). `onServingChange` tells who
 * serves after a handover; `serving` says who serves now.
 *
 * The client keeps what the next server may need to complete a request it did not see begin: the
 * recommended decision until it is logged (sent with `logDecision`), and feedback given until the
 * request's outcome (merged into it).
 */
import { randomUUID } from 'node:crypto';
import { ConnectionError, ErrorCodes, ResponseError } from 'vscode-jsonrpc/node';
import type { GuardedRecommendation } from '../core/guardedOptions';
import type { ProviderMapping } from '../core/optimizer';
import type { RolloutEvent } from '../core/safety/rollout';
import type { Waiver, WaiverProposal } from '../core/safety/waivers';
import type { Decision, Outcome, RequestContext } from '../core/types';
import { establish, type ClientConnectOptions, type ConnectOptions, type Endpoint, type ServingProcess } from './connect';
import type { OptimizerService } from './optimizerService';
import { describeIssues, errorCodes, operations, type Feedback, type FeedbackResult, type OperationName, type ParamsOf, type PolicyReset, type RecommendOptions, type ResultOf, type ServiceOperations } from './protocol';
import type { OutcomeResult } from './protocolRecords';
import { rehearseTakeover } from './rehearsal';
import { ServiceError } from './serviceError';
import type { ServiceStatus } from './status';
import type { DashboardMethodName, DashboardReply } from '../shared/dashboardProtocol';

export type { ClientConnectOptions, ConnectOptions, ServingProcess } from './connect';

/** How long a client that has not rehearsed a takeover waits before it claims one (see `ready`). */
const unrehearsedClaimDelayMs = 250;

/** Requests a client remembers at most (recommended decisions not yet logged, feedback not yet merged). */
const rememberedLimit = 1000;

/**
 * Opens the connection to the optimizer service of the store in `dir`: serving it, or a client of
 * the process that does (with `serve: false`, only ever a client).
 */
export async function connect(dir: string, options: ConnectOptions | ClientConnectOptions): Promise<ServiceConnection> {
  return new ServiceConnection(dir, options, await establish(dir, options));
}

/** The error is the connection going away (the request may be sent again), not the service's answer. */
function isConnectionLoss(error: unknown): boolean {
  if (error instanceof ConnectionError) return true;
  if (error instanceof ResponseError) {
    const lost: number[] = [ErrorCodes.PendingResponseRejected, ErrorCodes.ConnectionInactive, ErrorCodes.MessageWriteError, ErrorCodes.MessageReadError, errorCodes.serverClosing];
    return lost.includes(error.code);
  }
  return error instanceof ServiceError && error.code === errorCodes.serverClosing;
}

function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > rememberedLimit) map.delete(map.keys().next().value as string);
}

export class ServiceConnection implements ServiceOperations {
  private endpoint: Endpoint | undefined;
  private reconnecting: Promise<Endpoint> | undefined;
  private closed = false;
  private readonly listeners = new Set<(serving: ServingProcess) => void>();
  private readonly recommended = new Map<string, Decision>();
  private readonly feedbackGiven = new Map<string, Feedback>();
  private lastServing: ServingProcess;
  private rehearsed = false;
  private rehearsalDone = false;

  constructor(
    readonly dir: string,
    private readonly options: ConnectOptions | ClientConnectOptions,
    endpoint: Endpoint,
  ) {
    this.lastServing = endpoint.serving;
    this.adopt(endpoint);
  }

  /** 'serve' when this process serves the store, 'client' when another does. */
  get role(): 'serve' | 'client' {
    return this.lastServing.thisProcess ? 'serve' : 'client';
  }

  /** Who serves: this process, or another by pid and kind (the last known during a handover). */
  get serving(): ServingProcess {
    return { ...this.lastServing };
  }

  /** The service itself while this process serves (for what the protocol does not carry), else undefined. */
  get service(): OptimizerService | undefined {
    return this.endpoint?.kind === 'local' ? this.endpoint.service : undefined;
  }

  /** Calls `listener` each time another process (or this one) begins to serve; returns the unsubscribe. */
  onServingChange(listener: (serving: ServingProcess) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private adopt(endpoint: Endpoint): void {
    this.endpoint = endpoint;
    // A client may have to take over at any moment: it rehearses once, so that the takeover does
    // not wait for code to be compiled (rehearsal.ts).
    // A client only never takes over, so it does not rehearse.
    const options = this.options;
    if (endpoint.kind === 'remote' && !this.rehearsed && options.serve !== false && options.rehearse !== false) {
      this.rehearsed = true;
      void rehearseTakeover(this.dir, options.settings, options.open).then(() => {
        this.rehearsalDone = true;
      });
    }
    const changed = endpoint.serving.pid !== this.lastServing.pid || endpoint.serving.since !== this.lastServing.since;
    this.lastServing = endpoint.serving;
    if (endpoint.kind === 'remote') endpoint.connection.onClose(() => this.lost(endpoint));
    if (changed) for (const listener of this.listeners) listener(this.serving);
  }

  /** The serving process is gone: find the next one now, not at the next request. */
  private lost(endpoint: Endpoint): void {
    if (this.endpoint !== endpoint) return;
    this.endpoint = undefined;
    if (endpoint.kind === 'remote') {
      // Rejects the requests still waiting, which are then sent again.
      endpoint.connection.dispose();
      endpoint.socket.destroy();
    }
    if (!this.closed) this.ready().catch((error: unknown) => this.options.log?.(`reconnecting failed: ${error instanceof Error ? error.message : String(error)}`));
  }

  private ready(): Promise<Endpoint> {
    if (this.closed) return Promise.reject(new ServiceError('the connection to the optimizer service is closed', errorCodes.serverClosing));
    if (this.endpoint !== undefined) return Promise.resolve(this.endpoint);
    // A client that has not finished its rehearsal lets those that have take over first.
    const unrehearsed = !this.rehearsalDone && this.options.serve !== false && this.options.rehearse !== false;
    this.reconnecting ??= establish(this.dir, this.options, unrehearsed ? unrehearsedClaimDelayMs : 0)
      .then(async (endpoint) => {
        if (this.closed) {
          await closeEndpoint(endpoint);
          throw new ServiceError('the connection to the optimizer service is closed', errorCodes.serverClosing);
        }
        this.options.log?.(endpoint.serving.thisProcess ? 'this process now serves the optimizer' : `process ${endpoint.serving.pid} now serves the optimizer`);
        this.adopt(endpoint);
        return endpoint;
      })
      .finally(() => {
        this.reconnecting = undefined;
      });
    return this.reconnecting;
  }

  /** Runs an operation wherever the service is, sending it again (as a retry) after a lost connection. */
  private async call<N extends OperationName>(name: N, params: ParamsOf<N>): Promise<ResultOf<N>> {
    const operation = operations[name];
    for (let retry = false; ; retry = true) {
      const endpoint = await this.ready();
      const sent = ('retry' in params ? { ...params, retry } : params) as ParamsOf<N>;
      try {
        if (endpoint.kind === 'local') return await endpoint.core.execute(name, sent);
        const raw: unknown = await endpoint.connection.sendRequest(operation.method, sent);
        const parsed = operation.result.safeParse(raw);
        if (!parsed.success) throw new ServiceError(`the serving process answered ${operation.method} outside the protocol: ${describeIssues(parsed.error)}`, errorCodes.invalidRequest, operation.method);
        return parsed.data as ResultOf<N>;
      } catch (error) {
        if (!isConnectionLoss(error) || (endpoint.kind === 'local' && this.closed)) {
          if (error instanceof ServiceError) throw error;
          if (error instanceof ResponseError) throw new ServiceError(error.message, error.code, operation.method);
          throw error;
        }
        this.lost(endpoint);
      }
    }
  }

  private ids(): { callId: string; retry: boolean } {
    return { callId: randomUUID(), retry: false };
  }

  async recommend(context: RequestContext, sessionKey: string, options: RecommendOptions = {}): Promise<GuardedRecommendation> {
    const result = await this.call('recommend', { ...this.ids(), context, sessionKey, ...(options.allowedArmIds ? { allowedArmIds: [...options.allowedArmIds] } : {}) });
    if (result.kind === 'decision') remember(this.recommended, result.decision.requestId, result.decision);
    return result;
  }

  async logDecision(requestId: string, mapping?: ProviderMapping): Promise<Decision> {
    const decision = this.recommended.get(requestId);
    const logged = await this.call('logDecision', { ...this.ids(), requestId, ...(mapping ? { mapping } : {}), ...(decision ? { decision } : {}) });
    this.recommended.delete(requestId);
    return logged;
  }

  async recordOutcome(requestId: string, outcome: Outcome): Promise<OutcomeResult> {
    const given = this.feedbackGiven.get(requestId);
    const merged: Outcome = {
      ...outcome,
      ...(given?.verdict !== undefined && outcome.verdict === undefined ? { verdict: given.verdict } : {}),
      ...(given?.rating !== undefined && outcome.rating === undefined ? { rating: given.rating } : {}),
    };
    const result = await this.call('recordOutcome', { ...this.ids(), requestId, outcome: merged });
    this.feedbackGiven.delete(requestId);
    return result;
  }

  async feedback(requestId: string, feedback: Feedback): Promise<FeedbackResult> {
    const result = await this.call('feedback', { ...this.ids(), requestId, ...feedback });
    if (result.disposition === 'held') remember(this.feedbackGiven, requestId, { ...this.feedbackGiven.get(requestId), ...feedback });
    return result;
  }

  /** The service's status, computed at `at` (ms since the epoch) when given, else at the serving process's now. */
  status(at?: number): Promise<ServiceStatus> {
    return this.call('status', at === undefined ? {} : { at });
  }

  /** A dashboard request answered by the serving process: this one's learner or another window's (src/shared/dashboardProtocol.ts). */
  dashboard(method: DashboardMethodName, params: unknown): Promise<DashboardReply> {
    return this.call('dashboard', params === undefined ? { method } : { method, params });
  }

  resetPolicy(actor: string, reason: string): Promise<PolicyReset> {
    return this.call('resetPolicy', { ...this.ids(), actor, reason });
  }

  promote(actor: string, reason: string): Promise<RolloutEvent> {
    return this.call('promote', { ...this.ids(), actor, reason });
  }

  rollback(actor: string, reason: string, to?: 'previous' | 'shadow'): Promise<RolloutEvent> {
    return this.call('rollback', { ...this.ids(), actor, reason, ...(to ? { to } : {}) });
  }

  pause(actor: string, reason: string): Promise<RolloutEvent> {
    return this.call('pause', { ...this.ids(), actor, reason });
  }

  resume(actor: string, reason: string): Promise<RolloutEvent> {
    return this.call('resume', { ...this.ids(), actor, reason });
  }

  proposeWaiver(proposal: WaiverProposal, requestedBy: string): Promise<Waiver> {
    return this.call('proposeWaiver', { ...this.ids(), proposal: { ...proposal, note: proposal.note ?? '' }, requestedBy });
  }

  activateWaiver(id: string, approver: string): Promise<Waiver> {
    return this.call('activateWaiver', { ...this.ids(), id, approver });
  }

  revokeWaiver(id: string, actor: string, reason: string): Promise<Waiver> {
    return this.call('revokeWaiver', { ...this.ids(), id, actor, reason });
  }

  /**
   * Closes the connection. A serving process stops serving (answering what is in flight) and
   * closes its service, releasing the lock: a client takes over.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const endpoint = this.endpoint;
    this.endpoint = undefined;
    await this.reconnecting?.catch(() => undefined);
    if (endpoint !== undefined) await closeEndpoint(endpoint);
  }
}

async function closeEndpoint(endpoint: Endpoint): Promise<void> {
  if (endpoint.kind === 'local') {
    await endpoint.server.close();
    await endpoint.service.close();
  } else {
    endpoint.connection.dispose();
    endpoint.socket.end();
  }
}
