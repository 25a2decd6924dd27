/**
 * The records the optimizer service's socket protocol (protocol.ts) carries, as zod schemas: what a
 * client sends (a request's context, an outcome, a provider's mapping, a waiver proposal) and what
 * the serving process answers (a recommendation, a logged decision, what an outcome caused, the
 * status, rollout events, waivers). Decisions, outcomes and rewards use the export format's schemas
 * (src/store/formats/jsonl.ts), so a record is checked the same way on the socket as in a file.
 *
 * Each schema is checked against the core's type (`satisfies z.ZodType<T>`), so the two cannot drift
 * apart without the compiler saying so. Numbers a client sends must be finite; numbers the service
 * answers may be ±Infinity where the core uses them (an unlimited budget's remaining tokens, a bound
 * not yet known): the wire carries those (wire.ts), and `anyNumber` accepts them.
 */
import { z } from 'zod';
import type { GuardedOutcome, GuardedRecommendation } from '../core/guardedOptions';
import type { ProviderMapping } from '../core/optimizer';
import { budgetPeriods, waiverProposalSchema, waiverReasons, waiverStatuses, type BudgetEligibility, type Waiver } from '../core/safety/budget';
import { gateCheckNames, type GateVerdict } from '../core/safety/gates';
import { rolloutEventKinds, rolloutStatuses, type RolloutEvent } from '../core/safety/rollout';
import { sloMetrics, type Incident, type SloBreach } from '../core/safety/slo';
import { rolloutPhases, taskTypes, type RequestContext } from '../core/types';
import { decisionSchema, outcomeSchema, rewardSchema } from '../store/formats/jsonl';
import { parameterNames } from '../store/formats/vocabulary';
import type { RestoreNotice } from './restore';
import type { ServiceStatus } from './status';

export { decisionSchema, outcomeSchema };

/** A number, possibly ±Infinity or NaN (in what the service answers). */
const anyNumber = z.custom<number>((value) => typeof value === 'number', { message: 'must be a number' });
const finite = z.number();
const count = z.number().int().min(0);
const phase = z.enum(rolloutPhases);
const text = (max: number): z.ZodString => z.string().max(max);

/** What a planning command knows about a request. */
export const requestContextSchema = z.strictObject({
  taskType: z.enum(taskTypes),
  languageId: text(200),
  promptTokens: finite.min(0),
  selectionLines: finite.min(0),
  fileLines: finite.min(0),
  workspaceKind: z.enum(['none', 'folder', 'multiRoot']),
  providerFamily: text(200),
  hour: z.number().int().min(0).max(23),
}) satisfies z.ZodType<RequestContext>;

/** What the provider did with an arm's parameters. */
export const providerMappingSchema = z.strictObject({
  honouredParams: z.array(z.enum(parameterNames)).optional(),
  droppedParams: z.array(z.enum(parameterNames)).optional(),
  modelUsed: z.string().min(1).max(200).optional(),
}) satisfies z.ZodType<ProviderMapping>;

const periodStatusSchema = z.strictObject({
  period: z.enum(budgetPeriods),
  key: anyNumber,
  spent: anyNumber,
  base: anyNumber.nullable(),
  effective: anyNumber.nullable(),
  remaining: anyNumber,
  waivers: z.array(z.string()),
});

const budgetEligibilitySchema = z.strictObject({
  action: z.enum(['serve', 'fallback', 'refuse']),
  eligibleCount: count,
  message: z.string().optional(),
  waivers: z.array(z.string()),
  status: z.strictObject({
    taskType: z.enum(taskTypes),
    day: periodStatusSchema,
    week: periodStatusSchema,
    exhausted: z.boolean(),
    remaining: anyNumber,
    appliedWaivers: z.array(z.string()),
  }),
}) satisfies z.ZodType<BudgetEligibility>;

/** A recommendation: a decision (not logged until `logDecision`), or a refusal for the user. */
export const recommendationSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('decision'), decision: decisionSchema, budget: budgetEligibilitySchema }),
  z.strictObject({ kind: z.literal('refused'), message: z.string(), budget: budgetEligibilitySchema }),
]) satisfies z.ZodType<GuardedRecommendation>;

export const rolloutEventSchema = z.strictObject({
  kind: z.enum(rolloutEventKinds),
  timestamp: anyNumber,
  from: phase,
  to: phase,
  fromStatus: z.enum(rolloutStatuses),
  toStatus: z.enum(rolloutStatuses),
  actor: z.string(),
  reason: z.string(),
  evidence: z.record(z.string(), z.union([anyNumber, z.string(), z.boolean(), z.null()])),
}) satisfies z.ZodType<RolloutEvent>;

const meanBoundsSchema = z.strictObject({ n: anyNumber, mean: anyNumber, lower: anyNumber, upper: anyNumber });

const sloBreachSchema = z.strictObject({
  metric: z.enum(sloMetrics),
  timestamp: anyNumber,
  higherIsBetter: z.boolean(),
  learned: meanBoundsSchema,
  baseline: meanBoundsSchema,
  tolerance: anyNumber,
  alpha: anyNumber,
  thresholdMs: anyNumber.optional(),
  message: z.string(),
}) satisfies z.ZodType<SloBreach>;

const incidentSchema = z.strictObject({ id: z.string(), timestamp: anyNumber, fromPhase: phase, toPhase: phase, breach: sloBreachSchema }) satisfies z.ZodType<Incident>;

const gateCheckSchema = z.strictObject({ name: z.enum(gateCheckNames), passed: z.boolean(), value: anyNumber, threshold: anyNumber, detail: z.string() });

const gateVerdictSchema = z.strictObject({ phase, passed: z.boolean(), checks: z.array(gateCheckSchema), summary: z.string() }) satisfies z.ZodType<GateVerdict>;

/**
 * What recording an outcome did. `repeated`: the outcome was already recorded (a request retried
 * after the connection was lost); the answer is the stored one, and nothing was recorded again.
 */
export const outcomeResultSchema = z.strictObject({
  decision: decisionSchema,
  report: rewardSchema,
  servedBy: z.enum(['learned', 'baseline']),
  breach: sloBreachSchema.optional(),
  incident: incidentSchema.optional(),
  events: z.array(rolloutEventSchema),
  verdict: gateVerdictSchema.optional(),
  drift: z.strictObject({ direction: z.enum(['increase', 'decrease']), timestamp: anyNumber, samples: anyNumber }).optional(),
  repeated: z.literal(true).optional(),
}) satisfies z.ZodType<GuardedOutcome>;

export type OutcomeResult = z.output<typeof outcomeResultSchema>;

export const waiverSchema = z.strictObject({
  id: z.string(),
  taskType: z.union([z.enum(taskTypes), z.literal('all')]),
  period: z.enum(budgetPeriods),
  delta: anyNumber,
  reason: z.enum(waiverReasons),
  note: z.string(),
  requestedBy: z.string(),
  approver: z.string().optional(),
  createdAt: anyNumber,
  activatedAt: anyNumber.optional(),
  expiresAt: anyNumber,
  status: z.enum(waiverStatuses),
  revokedBy: z.string().optional(),
  revokeReason: z.string().optional(),
}) satisfies z.ZodType<Waiver>;

/** A waiver proposal as a client sends it: the core's own schema, with nothing beyond its fields. */
export const waiverProposalParamsSchema = waiverProposalSchema.strict();

const armEstimateSchema = z.strictObject({ armId: z.string(), params: decisionSchema.shape.params, mean: anyNumber, sd: anyNumber });

const restoreNoticeSchema = z.strictObject({ level: z.enum(['info', 'warning', 'error']), message: z.string() }) satisfies z.ZodType<RestoreNotice>;

export const serviceStatusSchema = z.strictObject({
  policyKind: z.string(),
  policyVersion: anyNumber,
  phase,
  rolloutStatus: z.enum(rolloutStatuses),
  progress: z.strictObject({ samples: anyNumber, minSamples: anyNumber, days: anyNumber, minDays: anyNumber, deadlineDays: anyNumber }),
  decisions: anyNumber,
  outcomes: anyNumber,
  pending: anyNumber,
  incidents: anyNumber,
  favoured: z.array(z.strictObject({ taskType: z.enum(taskTypes), favoured: armEstimateSchema, baseline: armEstimateSchema })),
  lastVerdict: z.strictObject({ passed: z.boolean(), summary: z.string(), checks: z.array(gateCheckSchema) }).optional(),
  budget: z.array(
    z.strictObject({ taskType: z.enum(taskTypes), daySpent: anyNumber, dayLimit: anyNumber.nullable(), weekSpent: anyNumber, weekLimit: anyNumber.nullable(), remaining: anyNumber }),
  ),
  waivers: z.array(waiverSchema),
  audit: z.strictObject({ length: anyNumber, hash: z.string() }),
  notices: z.array(restoreNoticeSchema),
}) satisfies z.ZodType<ServiceStatus>;
