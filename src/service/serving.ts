/**
 * The serving side of the optimizer service's protocol: runs each operation on the OptimizerService
 * this process holds, answers only once what it changed is durable (the store flushed), and makes a
 * request that is sent again after a lost connection safe to repeat:
 *
 * - Any operation: a `callId` already answered by this process gets the same answer again. What is
 *   kept to answer it again is small: a recommendation keeps its request id (the decision is the
 *   optimizer's, waiting, or the log's) and its budget as text, an outcome its result without the decision (the log's),
 *   and a logged decision nothing (the optimizer or the log answers it, as below). Kept whole, the
 *   last 4,096 answers (a decision each) outlived the young generation and made every scavenge of
 *   the serving process copy them.
 * - recommend: otherwise a new decision. After a handover that is correct: an unlogged decision
 *   was never sent (a request is sent only once its recommendation arrived, and a decision is
 *   logged only once its request is sent), so nothing depends on the lost one; it left no trace in
 *   the log and the restored learner is the same, so the new decision is as valid as the old.
 * - logDecision: a decision already logged (waiting for its outcome, or stored) is answered as
 *   logged. A decision this process never made (the server that made it went away between the
 *   recommendation and the log) is logged as the client got it, after its checks: it was drawn
 *   from a learner the log restores exactly, so its propensity is the one to log.
 * - recordOutcome: an outcome already stored is answered from the log (`repeated`), without the
 *   rollout events it caused then (they are in the log and the status); a different outcome for the
 *   same request is refused.
 * - Rollout controls and waivers, when retried: answered with the event or waiver that shows the
 *   first attempt took effect (the rollout's last event of that kind by that person for that reason,
 *   the waiver in the state asked for), else applied.
 * - feedback: held until the request's outcome and merged into it (the outcome's own verdict and
 *   rating win), or `late` when the outcome is already recorded: the log has no feedback record
 *   apart from outcomes, so late feedback is not learned from. Held feedback lives in this
 *   process: a handover before the outcome loses it, unless the client that sent it also records
 *   the outcome (the client merges its own feedback too).
 */
import { isDeepStrictEqual } from 'node:util';
import { checkLoggedChoice } from '../core/decisionChecks';
import type { RolloutEvent, RolloutEventKind } from '../core/safety/rollout';
import type { Waiver } from '../core/safety/waivers';
import type { GuardedRecommendation } from '../core/guardedOptions';
import type { BudgetEligibility } from '../core/safety/budget';
import type { Decision, Outcome } from '../core/types';
import type { ParameterSpace } from '../core/space';
import type { OptimizerService } from './optimizerService';
import { createDashboardDispatcher } from '../shared/dashboardRpc';
import type { DashboardReply } from '../shared/dashboardProtocol';
import { createDashboardHandlers } from './dashboardData';
import { errorCodes, operations, type Feedback, type OperationName, type ParamsOf, type ResultOf } from './protocol';
import type { OutcomeResult } from './protocolRecords';
import { mergeFeedback, sameOutcome } from './heldFeedback';
import { ServiceError } from './serviceError';
import { JsonText, messageJson, parseMessageJson } from './wire';
import { toStoreEvent } from './storeRecords';

/** A map that forgets its oldest entries beyond `limit`. */
class BoundedMap<K, V> extends Map<K, V> {
  constructor(private readonly limit: number) {
    super();
  }

  override set(key: K, value: V): this {
    super.delete(key);
    super.set(key, value);
    if (this.size > this.limit) this.delete(this.keys().next().value as K);
    return this;
  }

  /** Replaces the value of a key it holds, keeping its age. */
  replace(key: K, value: V): void {
    if (this.has(key)) super.set(key, value);
  }
}

/** An answer taken as its caller takes it: JSON text for a socket, a structured copy in process. */
type Snapshot = JsonText | { copy: unknown };

/** What a settled call keeps to answer its call id again: the answer, or what rebuilds it. */
type KeptAnswer =
  | { kind: 'answer'; answer: Snapshot }
  | { kind: 'decision'; requestId: string; budget: JsonText }
  | { kind: 'outcome'; requestId: string; rest: Omit<OutcomeResult, 'decision'> };

type Handlers = { [N in OperationName]: (params: ParamsOf<N>) => ResultOf<N> | Promise<ResultOf<N>> };

const failed = (message: string): ServiceError => new ServiceError(message, errorCodes.operationFailed);

/** Runs the protocol's operations on one open OptimizerService. */
export class ServingCore {
  /** Answers by callId: a request sent again gets the first answer (in flight: its promise). */
  private readonly answered = new BoundedMap<string, Promise<Snapshot> | KeptAnswer>(4096);
  private readonly heldFeedback = new BoundedMap<string, Feedback>(10_000);
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  private closing = false;
  private readonly upkeep: NodeJS.Timeout | undefined;

  /**
   * `expireEveryMs`: how often the decisions whose outcome never came are closed with the default
   * reward (OptimizerService.expirePending), as long as this process serves; 0 for never (default
   * one minute).
   */
  constructor(
    readonly service: OptimizerService,
    expireEveryMs = 60_000,
  ) {
    if (expireEveryMs > 0) {
      this.upkeep = setInterval(() => {
        if (this.closing) return;
        try {
          if (this.service.expirePending().length > 0) this.service.flush().catch(() => undefined);
        } catch {
          // The store refused (it failed): the operations that follow report it.
        }
      }, expireEveryMs);
      this.upkeep.unref();
    }
  }

  /** Runs an operation with validated params; resolves once its effects are durable. Its answer is a copy. */
  async execute<N extends OperationName>(name: N, params: ParamsOf<N>): Promise<ResultOf<N>> {
    const answer = await this.run(name, params, 'copy');
    return (answer instanceof JsonText ? parseMessageJson(answer.text) : answer.copy) as ResultOf<N>;
  }

  /**
   * `execute`, the answer as the JSON text of the result (non-finite numbers marked as the wire
   * marks them): what a socket's reply sends as it is, without another copy.
   */
  async executeToJson<N extends OperationName>(name: N, params: ParamsOf<N>): Promise<JsonText> {
    const answer = await this.run(name, params, 'json');
    return answer instanceof JsonText ? answer : new JsonText(messageJson(answer.copy));
  }

  private run<N extends OperationName>(name: N, params: ParamsOf<N>, form: 'copy' | 'json'): Promise<Snapshot> {
    const method = operations[name].method;
    if (this.closing) return Promise.reject(new ServiceError('the serving process is closing; ask again', errorCodes.serverClosing, method));
    const callKey = 'callId' in params ? `${name} ${params.callId}` : undefined;
    const earlier = callKey !== undefined ? this.answered.get(callKey) : undefined;
    if (earlier instanceof Promise) return earlier;
    const again = earlier !== undefined ? this.answerAgain(earlier) : undefined;
    if (again !== undefined) return Promise.resolve({ copy: again });
    this.inFlight++;
    let kept: KeptAnswer | undefined;
    const run = (async (): Promise<Snapshot> => {
      try {
        let result: ResultOf<N>;
        const appendedBefore = this.service.appendedMark();
        try {
          const answered = (this.handlers[name] as (p: ParamsOf<N>) => ResultOf<N> | Promise<ResultOf<N>>)(params);
          // Only the dashboard answers later (it reads the log in slices); the others at once, as before.
          result = answered instanceof Promise ? await answered : answered;
        } catch (error) {
          throw error instanceof ServiceError ? error : new ServiceError(error instanceof Error ? error.message : String(error), errorCodes.operationFailed, method);
        }
        // A copy at once, as the caller takes it (text for a socket, objects in this process): the
        // optimizer keeps (and later completes) the objects it returns, so what is answered, and
        // kept to answer again, is taken before anything else runs.
        const answer: Snapshot = form === 'json' ? new JsonText(messageJson(result)) : { copy: structuredClone(result) };
        if (callKey !== undefined) kept = keptAnswer(name, result, answer);
        // Answered once what this call appended is durable. A call that appended nothing (a
        // recommendation within budget, a status) does not wait for other calls' writes in flight.
        if (this.service.appendedMark() === appendedBefore) return answer;
        try {
          await this.service.flush();
        } catch (error) {
          throw new ServiceError(`the decision log could not be written: ${error instanceof Error ? error.message : String(error)}`, errorCodes.operationFailed, method);
        }
        return answer;
      } finally {
        if (--this.inFlight === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
      }
    })();
    if (callKey !== undefined) {
      this.answered.set(callKey, run);
      run.then(
        () => {
          if (this.answered.get(callKey) !== run) return;
          if (kept === undefined) this.answered.delete(callKey);
          else this.answered.replace(callKey, kept);
        },
        // A refusal is not an answer to keep: the same call may succeed once the state allows it.
        () => this.answered.delete(callKey),
      );
    }
    return run;
  }

  /** The answer a settled call gave, rebuilt; undefined when what it answered with is gone. */
  private answerAgain(kept: KeptAnswer): unknown {
    switch (kept.kind) {
      case 'answer':
        return kept.answer instanceof JsonText ? parseMessageJson(kept.answer.text) : structuredClone(kept.answer.copy);
      case 'decision': {
        const decision = this.service.guarded.optimizer.heldDecision(kept.requestId) ?? this.service.store.loggedByRequestId(kept.requestId)?.decision;
        if (decision === undefined) return undefined;
        // As recommended: the provider's mapping came with the log, after the answer.
        const { honouredParams: _h, droppedParams: _d, modelUsed: _m, ...recommended } = structuredClone(decision);
        return { kind: 'decision', decision: recommended, budget: parseMessageJson(kept.budget.text) as BudgetEligibility };
      }
      case 'outcome': {
        const decision = this.service.store.loggedByRequestId(kept.requestId)?.decision;
        return decision === undefined ? undefined : { ...structuredClone(kept.rest), decision };
      }
    }
  }

  /** Refuses new operations (they may be asked again of the next server) and waits for those running. */
  async drain(): Promise<void> {
    this.closing = true;
    if (this.upkeep !== undefined) clearInterval(this.upkeep);
    if (this.inFlight > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private readonly handlers: Handlers = {
    recommend: (p) => this.service.recommend(p.context, p.sessionKey, p.allowedArmIds ? { allowedArms: this.armIndices(p.allowedArmIds) } : {}),
    logDecision: (p) => this.logDecision(p),
    recordOutcome: (p) => this.recordOutcome(p.requestId, p.outcome),
    feedback: (p) => this.feedback(p),
    status: (p) => this.service.status(p.at),
    dashboard: (p) => this.dashboard(p.method, p.params),
    promote: (p) => this.control('promote', p, () => this.service.promote(p.actor, p.reason)),
    // A retried reset (the answer was lost) resets again: the policy has learned nothing since, or little.
    resetPolicy: (p) => this.service.resetPolicy(p.actor, p.reason),
    rollback: (p) => this.control('rollback', p, () => this.service.rollback(p.actor, p.reason, p.to)),
    pause: (p) => this.control('pause', p, () => this.service.pause(p.actor, p.reason)),
    resume: (p) => this.control('resume', p, () => this.service.resume(p.actor, p.reason)),
    proposeWaiver: (p) => {
      const existing = p.retry ? this.waiver(p.proposal.id) : undefined;
      const { id, taskType, period, delta, reason, note, expiresAt } = p.proposal;
      const same = existing !== undefined && existing.requestedBy === p.requestedBy && isDeepStrictEqual({ id, taskType, period, delta, reason, note: note ?? '', expiresAt }, {
        id: existing.id,
        taskType: existing.taskType,
        period: existing.period,
        delta: existing.delta,
        reason: existing.reason,
        note: existing.note,
        expiresAt: existing.expiresAt,
      });
      return same ? existing : this.service.proposeWaiver(p.proposal, p.requestedBy);
    },
    activateWaiver: (p) => {
      const existing = p.retry ? this.waiver(p.id) : undefined;
      return existing?.status === 'active' && existing.approver === p.approver ? existing : this.service.activateWaiver(p.id, p.approver);
    },
    revokeWaiver: (p) => {
      const existing = p.retry ? this.waiver(p.id) : undefined;
      return existing?.status === 'revoked' && existing.revokedBy === p.actor && existing.revokeReason === p.reason ? existing : this.service.revokeWaiver(p.id, p.actor, p.reason);
    },
  };

  private armIndexById: { space: ParameterSpace; byId: Map<string, number> } | undefined;

  /** The indices in the served space of the arms named, leaving out ids it does not hold. */
  private armIndices(ids: readonly string[]): number[] {
    const space = this.service.guarded.optimizer.space;
    if (this.armIndexById?.space !== space) this.armIndexById = { space, byId: new Map(space.arms.map((a) => [a.id, a.index])) };
    const indices: number[] = [];
    for (const id of ids) {
      const index = this.armIndexById.byId.get(id);
      if (index !== undefined) indices.push(index);
    }
    return indices;
  }

  private dashboardDispatch: ((raw: unknown) => Promise<DashboardReply>) | undefined;

  /** A dashboard request of another window, answered with its reply (id null: the asking window pairs it). */
  private async dashboard(method: string, params: unknown): Promise<DashboardReply> {
    this.dashboardDispatch ??= createDashboardDispatcher(createDashboardHandlers(this.service));
    const reply = await this.dashboardDispatch({ type: 'request', id: 0, method, ...(params !== undefined ? { params } : {}) });
    return { ...reply, id: null };
  }

  private waiver(id: string): Waiver | undefined {
    return this.service.guarded.budget.waivers.find((w) => w.id === id);
  }

  /** A retried control whose first attempt took effect (its event is the rollout's last) is answered with that event. */
  private control(kind: RolloutEventKind, p: { retry: boolean; actor: string; reason: string }, apply: () => RolloutEvent): RolloutEvent {
    if (p.retry) {
      const rollout = this.service.guarded.rollout;
      const last = rollout.events.at(-1);
      if (last?.kind === kind && last.actor === p.actor && last.reason === p.reason && last.to === rollout.phase && last.toStatus === rollout.status) return last;
    }
    return apply();
  }

  private logDecision(p: ParamsOf<'logDecision'>): Decision {
    const { requestId } = p;
    const optimizer = this.service.guarded.optimizer;
    const held = optimizer.heldDecision(requestId);
    if (held !== undefined) {
      // Made here: logged now, or (sent again) already logged and waiting for its outcome.
      if (optimizer.pendingDecision(requestId) !== undefined) return held;
      return this.service.logDecision(requestId, p.mapping ?? {});
    }
    const stored = this.service.store.loggedByRequestId(requestId);
    if (stored !== undefined) return stored.decision;
    try {
      return this.service.logDecision(requestId, p.mapping ?? {});
    } catch (error) {
      if (p.decision === undefined) throw error;
    }
    return this.adopt(p.decision, p.mapping ?? {}, requestId);
  }

  /** Logs a decision another serving process made and answered before it went away (see the file comment). */
  private adopt(sent: Decision, mapping: NonNullable<ParamsOf<'logDecision'>['mapping']>, requestId: string): Decision {
    if (sent.requestId !== requestId) throw failed(`the decision sent carries request id ${sent.requestId}, not ${requestId}`);
    const space = this.service.guarded.optimizer.space;
    const problems = checkLoggedChoice(sent).map((issue) => `${issue.field} ${issue.message}`);
    const arm = space.arms[sent.armIndex];
    if (sent.probabilities.length !== space.arms.length) problems.push(`probabilities has ${sent.probabilities.length} entries for the ${space.arms.length} arms of the parameter space`);
    else if (arm === undefined || arm.id !== sent.armId) problems.push(`arm ${sent.armIndex} of the parameter space is ${arm?.id ?? 'missing'}, not ${sent.armId}`);
    if (problems.length > 0) throw failed(`decision ${requestId} is not one this parameter space could have made: ${problems.join('; ')}`);
    const decision: Decision = structuredClone(sent);
    if (mapping.honouredParams !== undefined) decision.honouredParams = [...mapping.honouredParams];
    if (mapping.droppedParams !== undefined) decision.droppedParams = [...mapping.droppedParams];
    if (mapping.modelUsed !== undefined) decision.modelUsed = mapping.modelUsed;
    // Stored first: a refusal there leaves the optimizer unchanged.
    this.service.store.append(toStoreEvent({ type: 'decision', decision }));
    this.service.guarded.apply({ type: 'decision', decision });
    return decision;
  }

  private recordOutcome(requestId: string, outcome: Outcome): OutcomeResult {
    if (outcome.requestId !== requestId) throw failed(`the outcome carries request id ${outcome.requestId}, not ${requestId}`);
    if (this.service.guarded.optimizer.pendingDecision(requestId) !== undefined) {
      const held = this.heldFeedback.get(requestId);
      const merged: Outcome = held === undefined ? outcome : mergeFeedback(outcome, held);
      const result = this.service.recordOutcome(requestId, merged);
      this.heldFeedback.delete(requestId);
      return result;
    }
    const stored = this.service.store.loggedByRequestId(requestId);
    if (stored === undefined) throw failed(`no logged decision with request id ${requestId}: log the decision (logDecision) once its request is sent, then its outcome`);
    if (stored.outcome === undefined || stored.reward === undefined) throw failed(`decision ${requestId} is stored but no longer waits for an outcome`);
    if (sameOutcome(stored.outcome, outcome)) {
      return { decision: stored.decision, report: stored.reward, servedBy: stored.decision.servedBy, events: [], repeated: true };
    }
    if (stored.outcome.defaulted === true) {
      throw failed(`decision ${requestId} was closed with the default reward at ${new Date(stored.outcome.timestamp).toISOString()}, its outcome having not come within the wait; this one came too late and was not recorded`);
    }
    throw failed(`an outcome for ${requestId} is already recorded, and it differs from this one; a stored outcome is never replaced`);
  }

  private feedback(p: ParamsOf<'feedback'>): ResultOf<'feedback'> {
    const { requestId } = p;
    const given: Feedback = { ...(p.verdict !== undefined ? { verdict: p.verdict } : {}), ...(p.rating !== undefined ? { rating: p.rating } : {}) };
    if (this.service.guarded.optimizer.pendingDecision(requestId) !== undefined) {
      this.heldFeedback.set(requestId, { ...this.heldFeedback.get(requestId), ...given });
      return { requestId, disposition: 'held', message: `kept for the outcome of ${requestId}, which will carry it` };
    }
    if (this.service.store.hasDecision(requestId)) {
      return { requestId, disposition: 'late', message: `the outcome of ${requestId} was recorded before this feedback came, so it is not learned from` };
    }
    throw failed(`no logged decision with request id ${requestId} to give feedback on`);
  }
}

/**
 * What a call keeps to be answered again (see the file comment); undefined: nothing, the operation
 * answers a repeat by itself.
 */
function keptAnswer(name: OperationName, result: unknown, answer: Snapshot): KeptAnswer | undefined {
  if (name === 'logDecision') return undefined;
  // Copies of what is kept (the result's objects are the optimizer's); the budget as text, one
  // object rather than a tree of them for each of the last 4,096 recommendations.
  if (name === 'recommend') {
    const recommendation = result as GuardedRecommendation;
    if (recommendation.kind === 'decision') return { kind: 'decision', requestId: recommendation.decision.requestId, budget: new JsonText(messageJson(recommendation.budget)) };
  }
  if (name === 'recordOutcome') {
    const { decision, ...rest } = result as OutcomeResult;
    return { kind: 'outcome', requestId: decision.requestId, rest: structuredClone(rest) };
  }
  return { kind: 'answer', answer };
}
