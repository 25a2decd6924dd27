/**
 * The protocol between the process that serves the optimizer (it holds the store's lock) and its
 * clients (the user's other windows, the CLI), over a local socket with JSON-RPC 2.0
 * (vscode-jsonrpc). Each operation is declared once here, with its method name and the zod schemas
 * of its params and its result; the server validates every request's params and the client every
 * result, so both sides import this file (ARCHITECTURE.md §"One learner per user").
 *
 * A connection starts with `paramloop/hello`, carrying the secret of the store's lock file (only
 * the lock's owner, the same OS user, can read it); anything else first is refused and the
 * connection closed, as is a wrong secret.
 *
 * Every operation that changes something carries a `callId` (the client draws it once and sends it
 * again when it retries after losing the connection) and `retry` (true when sent again), so that a
 * retried request is answered, not applied twice (serving.ts says how, operation by operation).
 */
import { z } from 'zod';
import type { GuardedRecommendation } from '../core/guardedOptions';
import type { ProviderMapping } from '../core/optimizer';
import type { RolloutEvent } from '../core/safety/rollout';
import type { Waiver, WaiverProposal } from '../core/safety/waivers';
import type { Decision, Outcome, RequestContext, Verdict } from '../core/types';
import { replySchema, type DashboardMethodName, type DashboardReply } from '../shared/dashboardProtocol';
import { verdicts } from '../store/formats/vocabulary';
import {
  decisionSchema,
  outcomeResultSchema,
  outcomeSchema,
  providerMappingSchema,
  recommendationSchema,
  requestContextSchema,
  rolloutEventSchema,
  serviceStatusSchema,
  waiverProposalParamsSchema,
  waiverSchema,
  type OutcomeResult,
} from './protocolRecords';
import type { ServiceStatus } from './status';

/** Version of this protocol: a client and a server of different versions refuse each other at hello. */
export const protocolVersion = 2;

/** What kind of process serves: a VS Code window, or the CLI. */
export const serverKinds = ['extension', 'cli'] as const;
export type ServerKind = (typeof serverKinds)[number];

/** The first request of every connection. */
export const hello = {
  method: 'paramloop/hello',
  params: z.strictObject({
    protocolVersion: z.number().int(),
    /** The `secret` of the store's lock file. */
    token: z.string().max(200),
    pid: z.number().int().min(0),
    kind: z.enum(serverKinds),
  }),
  result: z.strictObject({
    protocolVersion: z.number().int(),
    /** The serving process: its pid, its kind and since when it serves (ms since the epoch). */
    pid: z.number().int(),
    kind: z.enum(serverKinds),
    since: z.number(),
  }),
} as const;
export type HelloParams = z.output<typeof hello.params>;
export type HelloResult = z.output<typeof hello.result>;

/** Error codes besides JSON-RPC's own (-32700 parse error, -32600 invalid request, -32601, -32602). */
export const errorCodes = {
  parseError: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  /** A request came before a successful hello. */
  helloRequired: -32010,
  /** The hello's token is not the lock's secret. */
  tokenRefused: -32011,
  /** Client and server speak different protocol versions. */
  protocolMismatch: -32012,
  /** The service refused the operation (an unknown request id, a rollout already paused…). */
  operationFailed: -32020,
  /** The server is closing: the client retries with whoever serves next. */
  serverClosing: -32021,
} as const;

const callId = z.string().min(1).max(100);
const requestId = z.string().min(1).max(200);
const person = z.string().min(1).max(200);
const reason = z.string().max(2000);
/** What every changing operation carries besides its own params. */
const call = { callId, retry: z.boolean() };
const control = z.strictObject({ ...call, actor: person, reason });

/** A user's verdict on a request, and their rating, as they come (possibly before the outcome). */
export const feedbackParamsSchema = z
  .strictObject({ ...call, requestId, verdict: z.enum(verdicts).optional(), rating: z.number().min(1).max(5).optional() })
  .refine((p) => p.verdict !== undefined || p.rating !== undefined, { message: 'feedback needs a verdict or a rating' });

/**
 * What became of feedback: `held`, the outcome has not come yet and will carry it (its verdict and
 * rating, where the outcome has none of its own); `late`, the outcome was already recorded, so the
 * feedback is not learned from (the log has no record of feedback apart from outcomes).
 */
export const feedbackResultSchema = z.strictObject({ requestId: z.string(), disposition: z.enum(['held', 'late']), message: z.string() });
export type FeedbackResult = z.output<typeof feedbackResultSchema>;

/** An operation: its JSON-RPC method, and the schemas of its params and result. */
interface Operation<P extends z.ZodType, R extends z.ZodType> {
  method: string;
  params: P;
  result: R;
}
const operation = <P extends z.ZodType, R extends z.ZodType>(method: string, params: P, result: R): Operation<P, R> => ({ method, params, result });

/** Every operation a client can ask of the serving process. */
export const operations = {
  /**
   * `allowedArmIds`: the arms the request's model can be served with, by id (ids name parameters, so
   * they mean the same in the client's space and the server's; ids the server's space does not hold
   * are left out). The baseline arm is always allowed: an empty list serves the baseline alone.
   */
  recommend: operation(
    'paramloop/recommend',
    z.strictObject({ ...call, context: requestContextSchema, sessionKey: z.string().min(1).max(500), allowedArmIds: z.array(z.string().min(1).max(500)).max(100_000).optional() }),
    recommendationSchema,
  ),
  /** `decision`: the recommended decision as the client got it, logged as it is should the server that made it be gone. */
  logDecision: operation(
    'paramloop/logDecision',
    z.strictObject({ ...call, requestId, mapping: providerMappingSchema.optional(), decision: decisionSchema.optional() }),
    decisionSchema,
  ),
  recordOutcome: operation('paramloop/recordOutcome', z.strictObject({ ...call, requestId, outcome: outcomeSchema }), outcomeResultSchema),
  feedback: operation('paramloop/feedback', feedbackParamsSchema, feedbackResultSchema),
  /** `at`: the time (ms since the epoch) days in phase and budget periods are computed at; default now. */
  status: operation('paramloop/status', z.strictObject({ at: z.number().finite().optional() }), serviceStatusSchema),
  /**
   * A dashboard request (src/shared/dashboardProtocol.ts: its method and params, checked there) answered by the
   * serving process with the dashboard's reply, an error reply included (its id is null: the asking window
   * pairs it with its own request). `runCommand` is refused: commands run in the asking window.
   */
  dashboard: operation('paramloop/dashboard', z.strictObject({ method: z.string().min(1).max(64), params: z.unknown().optional() }), replySchema),
  promote: operation('paramloop/promote', control, rolloutEventSchema),
  /** The learned policy started over from its prior; `event` is the rollback to shadow when it served traffic. */
  resetPolicy: operation('paramloop/resetPolicy', control, z.strictObject({ event: rolloutEventSchema.optional(), policyVersion: z.number().int().min(0) })),
  rollback: operation('paramloop/rollback', control.extend({ to: z.enum(['previous', 'shadow']).optional() }), rolloutEventSchema),
  pause: operation('paramloop/pause', control, rolloutEventSchema),
  resume: operation('paramloop/resume', control, rolloutEventSchema),
  proposeWaiver: operation('paramloop/proposeWaiver', z.strictObject({ ...call, proposal: waiverProposalParamsSchema, requestedBy: person }), waiverSchema),
  activateWaiver: operation('paramloop/activateWaiver', z.strictObject({ ...call, id: z.string().min(1).max(200), approver: person }), waiverSchema),
  revokeWaiver: operation('paramloop/revokeWaiver', z.strictObject({ ...call, id: z.string().min(1).max(200), actor: person, reason }), waiverSchema),
} as const;

export type OperationName = keyof typeof operations;
/** An operation's params once validated. */
export type ParamsOf<N extends OperationName> = z.output<(typeof operations)[N]['params']>;
/** An operation's params as a caller writes them (before defaults). */
export type ParamsIn<N extends OperationName> = z.input<(typeof operations)[N]['params']>;
/** An operation's result. */
export type ResultOf<N extends OperationName> = z.output<(typeof operations)[N]['result']>;

/** The operation a JSON-RPC method names, if any. */
export const operationByMethod: ReadonlyMap<string, OperationName> = new Map(
  (Object.keys(operations) as OperationName[]).map((name) => [operations[name].method, name]),
);

/** What resetting the policy did. */
export type PolicyReset = { event?: RolloutEvent; policyVersion: number };

/** Feedback on a request: the user's verdict and rating (either or both). */
export interface Feedback {
  verdict?: Verdict;
  rating?: number;
}

/** What narrows one recommendation over the protocol (see the `recommend` operation). */
export interface RecommendOptions {
  /** Ids of the arms the request's model can be served with; the baseline is always allowed (an empty list: the baseline alone). */
  allowedArmIds?: readonly string[];
}

/**
 * The optimizer service's operations as the serving process and its clients offer them alike:
 * those of `OptimizerService`, asynchronous (each answered once what it changed is durable), plus
 * `feedback`.
 */
export interface ServiceOperations {
  recommend(context: RequestContext, sessionKey: string, options?: RecommendOptions): Promise<GuardedRecommendation>;
  logDecision(requestId: string, mapping?: ProviderMapping): Promise<Decision>;
  recordOutcome(requestId: string, outcome: Outcome): Promise<OutcomeResult>;
  feedback(requestId: string, feedback: Feedback): Promise<FeedbackResult>;
  status(at?: number): Promise<ServiceStatus>;
  /** A dashboard request answered by the serving process (its reply; never rejected for the request's own faults). */
  dashboard(method: DashboardMethodName, params: unknown): Promise<DashboardReply>;
  promote(actor: string, reason: string): Promise<RolloutEvent>;
  resetPolicy(actor: string, reason: string): Promise<PolicyReset>;
  rollback(actor: string, reason: string, to?: 'previous' | 'shadow'): Promise<RolloutEvent>;
  pause(actor: string, reason: string): Promise<RolloutEvent>;
  resume(actor: string, reason: string): Promise<RolloutEvent>;
  proposeWaiver(proposal: WaiverProposal, requestedBy: string): Promise<Waiver>;
  activateWaiver(id: string, approver: string): Promise<Waiver>;
  revokeWaiver(id: string, actor: string, reason: string): Promise<Waiver>;
}

/** Zod issues as one line naming each field: `outcome.quality: Too big: expected number to be <=1`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(params)'}: ${issue.message}`).join('; ');
}
