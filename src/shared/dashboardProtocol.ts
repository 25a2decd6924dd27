/**
 * The dashboard's request protocol between the extension host and the dashboard webview. Each
 * request is declared once below, in `dashboardMethods`, with the zod schemas of its params and its
 * result; the webview asks with a request envelope `{ type: 'request', id, method, params }` and the
 * host answers each with exactly one reply carrying the same id, `{ type: 'reply', id, ok: true,
 * result }` or `{ type: 'reply', id, ok: false, error: { code, message } }` (dashboardRpc.ts pairs
 * them, on both sides). The host also pushes events (`{ type: 'event', name: 'changed', … }`) when
 * the log has grown, at most a few times a second, so the webview asks again.
 *
 * The same requests travel between windows inside the optimizer service's `dashboard` operation
 * (src/service/protocol.ts), so a window that does not serve the learner asks the one that does.
 */
import { z } from 'zod';

import { taskTypes } from '../core/types';
import {
  armsSchema,
  attributionSchema,
  explainDecisionSchema,
  historySchema,
  opeSchema,
  overviewSchema,
  paretoSchema,
  recentDecisionsSchema,
  rewardOverTimeSchema,
} from './dashboardSchemas';

/** Version of this protocol; a webview built for another version is told so at its first request. */
export const dashboardProtocolVersion = 1;

/** The most buckets a time series is cut into, whatever the log's size. */
export const maxBuckets = 200;

/** Host commands the dashboard may run (the audited controls and two conveniences), nothing else. */
export const dashboardCommands = [
  'paramloop.promote',
  'paramloop.rollback',
  'paramloop.pause',
  'paramloop.resume',
  'paramloop.resetPolicy',
  'paramloop.grantWaiver',
  'paramloop.revokeWaiver',
  'paramloop.showLog',
  'paramloop.openSettings',
  'paramloop.exportLogs',
] as const;
export type DashboardCommand = (typeof dashboardCommands)[number];

const time = z.number().int().min(0).max(8.64e15);
/** A time window: since (inclusive) and until (exclusive), ms since the epoch; default the whole log. */
const range = {
  since: time.optional(),
  until: time.optional(),
};
const sinceBeforeUntil = (p: { since?: number | undefined; until?: number | undefined }): boolean => p.since === undefined || p.until === undefined || p.since < p.until;
const rangeMessage = { message: 'since must be before until', path: ['since'] };
const buckets = z.number().int().min(1).max(maxBuckets).default(100);

/** A request: its method name and the schemas of its params and its result. */
export interface DashboardMethod<P extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> {
  readonly params: P;
  readonly result: R;
}
const method = <P extends z.ZodType, R extends z.ZodType>(params: P, result: R): DashboardMethod<P, R> => ({ params, result });

/** Every request the dashboard can make, by method name. */
export const dashboardMethods = {
  /** The rollout with its progress and next gate in words, counts, SLOs, budgets, waivers, drift. */
  overview: method(z.strictObject({}), overviewSchema),
  /** Mean reward over time per traffic kind (learned, baseline) with 95% intervals, in at most `buckets` buckets. */
  rewardOverTime: method(z.strictObject({ ...range, buckets }).refine(sinceBeforeUntil, rangeMessage), rewardOverTimeSchema),
  /** The arms, their posteriors per task type, favoured vs baseline, and selection counts over time. */
  arms: method(z.strictObject({ ...range, buckets, maxSeries: z.number().int().min(1).max(16).default(8) }).refine(sinceBeforeUntil, rangeMessage), armsSchema),
  /** Per arm: mean quality, latency and tokens, the baseline marked, dominated arms flagged. */
  pareto: method(z.strictObject({ ...range }).refine(sinceBeforeUntil, rangeMessage), paretoSchema),
  /**
   * Off-policy evaluation of the learned policy on the newest `rows` rewarded decisions: trained on
   * the earlier part, scored on the later part, every estimator with its bootstrap interval and ESS.
   */
  ope: method(
    z.strictObject({
      rows: z.number().int().min(20).max(5000).default(1000),
      resamples: z.number().int().min(0).max(2000).default(200),
      seed: z.number().int().min(0).max(0xffffffff).default(1),
    }),
    opeSchema,
  ),
  /** Which context features move the learned policy's choice, for a typical request of a task type. */
  attribution: method(z.strictObject({ taskType: z.enum(taskTypes).default('planTask') }), attributionSchema),
  /** The newest decisions, a page at a time: `before` is the previous page's `nextBefore`. */
  recentDecisions: method(z.strictObject({ before: z.number().int().min(0).optional(), limit: z.number().int().min(1).max(200).default(50) }), recentDecisionsSchema),
  /** One decision explained: context, probabilities, propensity, who served and why, honoured params, outcome, reward. */
  explainDecision: method(z.strictObject({ requestId: z.string().min(1).max(200) }), explainDecisionSchema),
  /** Phase changes, incidents and gate looks, newest first, a page at a time. */
  history: method(z.strictObject({ before: z.number().int().min(0).optional(), limit: z.number().int().min(1).max(500).default(100) }), historySchema),
  /** Runs a host command of the fixed list (the controls ask the user why, and are audited, as from the palette). */
  runCommand: method(z.strictObject({ command: z.enum(dashboardCommands) }), z.strictObject({ command: z.enum(dashboardCommands), done: z.boolean() })),
} as const;

export type DashboardMethodName = keyof typeof dashboardMethods;
export const dashboardMethodNames = Object.keys(dashboardMethods) as DashboardMethodName[];
/** A method's params as the caller writes them (defaults may be left out). */
export type DashboardParamsIn<M extends DashboardMethodName> = z.input<(typeof dashboardMethods)[M]['params']>;
/** A method's params once validated (defaults filled in). */
export type DashboardParams<M extends DashboardMethodName> = z.output<(typeof dashboardMethods)[M]['params']>;
export type DashboardResult<M extends DashboardMethodName> = z.output<(typeof dashboardMethods)[M]['result']>;

/** True when `name` is a method of the table (not an inherited property). */
export function isDashboardMethod(name: unknown): name is DashboardMethodName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(dashboardMethods, name);
}

/** Ids pair a reply with its request: the webview draws them (a counter), the host echoes them. */
export const requestIdSchema = z.union([z.number().int().min(0).max(Number.MAX_SAFE_INTEGER), z.string().min(1).max(64)]);
export type RequestId = z.infer<typeof requestIdSchema>;

/** A request envelope as it arrives; its params are checked against the method's schema next. */
export const requestEnvelopeSchema = z.strictObject({
  type: z.literal('request'),
  id: requestIdSchema,
  method: z.string().min(1).max(64),
  params: z.unknown().optional(),
});

/** Error codes of a failed reply. */
export const dashboardErrorCodes = {
  /** Not a request envelope (not an object, no id, unknown fields…). */
  invalidMessage: 'invalidMessage',
  unknownMethod: 'unknownMethod',
  invalidParams: 'invalidParams',
  /** The handler failed (the log could not be read, the learner is gone…). */
  failed: 'failed',
  /** The handler answered outside the result schema: a bug of the host, reported rather than sent. */
  invalidResult: 'invalidResult',
  /** The webview gave up waiting (client side only). */
  timeout: 'timeout',
} as const;
export type DashboardErrorCode = (typeof dashboardErrorCodes)[keyof typeof dashboardErrorCodes];

export const replySchema = z.discriminatedUnion('ok', [
  z.strictObject({ type: z.literal('reply'), id: requestIdSchema.nullable(), ok: z.literal(true), result: z.unknown() }),
  z.strictObject({
    type: z.literal('reply'),
    id: requestIdSchema.nullable(),
    ok: z.literal(false),
    error: z.strictObject({ code: z.enum(Object.values(dashboardErrorCodes) as [DashboardErrorCode, ...DashboardErrorCode[]]), message: z.string().max(4000) }),
  }),
]);
export type DashboardReply = z.infer<typeof replySchema>;

/**
 * Events the host pushes: `changed`, the log has grown (the webview asks again for what it shows);
 * `explain`, the user asked to see one decision explained (from its plan).
 */
export const dashboardEventSchema = z.discriminatedUnion('name', [
  z.strictObject({ type: z.literal('event'), name: z.literal('changed'), at: z.number(), decisions: z.number().int().min(0) }),
  z.strictObject({ type: z.literal('event'), name: z.literal('explain'), requestId: z.string().min(1).max(200) }),
]);
export type DashboardEvent = z.infer<typeof dashboardEventSchema>;
export type DashboardChangedEvent = Extract<DashboardEvent, { name: 'changed' }>;

/** Everything the host sends the dashboard webview. */
export const dashboardHostMessageSchema = z.union([replySchema, dashboardEventSchema]);
export type DashboardHostMessage = z.infer<typeof dashboardHostMessageSchema>;
