/**
 * One planning request end to end (ARCHITECTURE.md §"Planning"): the request's context, the arms its
 * model can take, the optimizer's decision, the arm mapped onto the provider, the plan streamed, its
 * checks, the outcome. The extension's commands, the chat participant and `paramloop plan` all call
 * `runPlan`; none of this imports `vscode`.
 *
 * The decision is logged when its request is sent (in parallel with it, so logging adds nothing to
 * the time to the first token). The outcome is recorded by the caller through `PlanRun.record`, so
 * that a verdict given soon after the plan is part of it (the extension waits for one a while; the
 * CLI records at once).
 */
import type { OutcomeResult } from '../service/protocolRecords';
import type { ServiceOperations } from '../service/protocol';
import { qualityWithVerdict } from '../core/reward';
import type { ParameterSpace } from '../core/space';
import type { Decision, Outcome, RequestContext, Verdict } from '../core/types';
import { LlmError, type LlmProvider, type LlmResult, type RequestMapping } from '../llm/provider';
import { checkPlan, type PlanReport } from './checks';
import { buildPlanPrompt, estimateTokens, type PlanPrompt } from './prompt';
import { taskProblems, type PlanTask } from './task';

/** What a plan needs from the optimizer service (a connection, or the service in-process). */
export type PlanService = Pick<ServiceOperations, 'recommend' | 'logDecision' | 'recordOutcome'>;

/** Whether the provider is failing: while it is, requests are served with the baseline parameters. */
export class ProviderHealth {
  private failure: { kind: string; message: string; at: number } | undefined;

  /** The last failure, while no request has succeeded since. */
  get failing(): { kind: string; message: string; at: number } | undefined {
    return this.failure;
  }

  recordFailure(error: LlmError, at: number): void {
    if (error.kind === 'cancelled') return;
    this.failure = { kind: error.kind, message: error.message, at };
  }

  recordSuccess(): void {
    this.failure = undefined;
  }
}

/** The arms a model can be served with, and how each maps onto it. */
export interface ModelArms {
  model: string;
  /** One arm per group of arms the model cannot tell apart (the baseline's group keeps the baseline), eligible arms only, ascending. */
  allowed: number[];
  /** The ids of `allowed`, as the service is told them. */
  allowedIds: string[];
  /** How each arm of the space maps onto the model. */
  mappings: RequestMapping[];
}

/**
 * Maps every arm onto its model (`arm.params.model`, else `model`): ineligible arms are left out, and
 * of the arms that map to the same effective parameters only one stays (the baseline where it is one
 * of them, else the lowest index), so no exploration is spent on differences the model never sees.
 */
export function modelArms(provider: LlmProvider, space: ParameterSpace, model: string): ModelArms {
  const mappings = space.arms.map((arm) => provider.map(arm.params, arm.params.model ?? model));
  const byKey = new Map<string, number>();
  const baseline = space.baselineArm;
  for (let a = 0; a < mappings.length; a++) {
    if (mappings[a]!.ineligible !== undefined && a !== baseline) continue;
    const key = `${space.arms[a]!.params.model ?? model}\u0000${mappings[a]!.effectiveKey}`;
    if (!byKey.has(key) || a === baseline) byKey.set(key, a);
  }
  const allowed = [...byKey.values()].sort((x, y) => x - y);
  return { model, allowed, allowedIds: allowed.map((a) => space.arms[a]!.id), mappings };
}

export interface PlanDeps {
  service: PlanService;
  provider: LlmProvider;
  space: ParameterSpace;
  /** The configured model (an arm's own `model` wins). */
  model: string;
  health: ProviderHealth;
  clock?: { now(): number };
  /** The session the sticky traffic split keys on (the editor window, the chat session, the CLI run). */
  sessionKey: string;
  /** Tokens of code a prompt may carry when the provider does not know the model's input window. */
  defaultContextTokens?: number;
  /** Cached model arms, reused while the provider and space are the same (see `PlanArmsCache`). */
  armsCache?: PlanArmsCache;
}

/** Caches `modelArms` per model; dropped when a provider learns that a model rejects a parameter. */
export class PlanArmsCache {
  private readonly byModel = new Map<string, ModelArms>();
  constructor(
    readonly provider: LlmProvider,
    readonly space: ParameterSpace,
  ) {}

  get(model: string): ModelArms {
    let arms = this.byModel.get(model);
    if (!arms) {
      arms = modelArms(this.provider, this.space, model);
      this.byModel.set(model, arms);
    }
    return arms;
  }

  forget(model?: string): void {
    if (model === undefined) this.byModel.clear();
    else this.byModel.delete(model);
  }
}

export interface RunPlanOptions {
  onText?: (text: string) => void;
  signal?: AbortSignal;
  idleTimeoutMs?: number;
  /** Local hour of day (0–23) for the request's context; default the clock's, in the process's time zone. */
  hour?: number;
}

/** A plan that was asked for: what was decided and sent, what came back, and how to record its outcome. */
export interface PlanRun {
  requestId: string;
  decision: Decision;
  /** How the decided arm was sent (after a live rejection, as finally sent). */
  mapping: RequestMapping;
  context: RequestContext;
  prompt: PlanPrompt;
  model: string;
  /** Whether the request was confined to the baseline because the provider was failing. */
  baselineOnly: boolean;
  /** The token budget's say on this request: `fallback` when only the cheapest arm fitted (with why). */
  budget: { action: 'serve' | 'fallback'; message?: string };
  text: string;
  result?: LlmResult;
  error?: LlmError;
  report: PlanReport;
  /** The outcome as measured, before any verdict (quality from the checks; 0 for an error). */
  outcome: Outcome;
  /** Records the outcome with the user's verdict (and rating) if any; once only, later calls return the first answer. */
  record(verdict?: Verdict, rating?: number): Promise<OutcomeResult>;
}

/** A request refused before anything was sent (a bad task, an exhausted budget with `refuse`). */
export class PlanRefusedError extends Error {
  override readonly name = 'PlanRefusedError';
}

/**
 * Runs one planning request: recommend (within the arms the model can take, or only the baseline
 * while the provider fails), send with the arm mapped onto the provider, log the decision, stream,
 * check the plan. Never throws for a provider failure: the run carries the error, and its outcome
 * records it. Throws `PlanRefusedError` when nothing was sent, and the service's errors.
 */
export async function runPlan(deps: PlanDeps, task: PlanTask, options: RunPlanOptions = {}): Promise<PlanRun> {
  const problems = taskProblems(task);
  if (problems.length > 0) throw new PlanRefusedError(`the planning request is not valid: ${problems.join('; ')}`);
  const clock = deps.clock ?? { now: () => Date.now() };
  const { provider, space } = deps;
  const cache = deps.armsCache && deps.armsCache.provider === provider && deps.armsCache.space === space ? deps.armsCache : new PlanArmsCache(provider, space);
  const arms = cache.get(deps.model);
  const window = provider.inputWindow?.(deps.model);
  const largestAnswer = Math.max(...space.trustRegionArms.map((a) => space.arms[a]!.params.maxTokens ?? 4096));
  const maxContextTokens = window !== undefined ? Math.max(256, Math.floor(window - largestAnswer - 1000)) : (deps.defaultContextTokens ?? 6000);
  const prompt = buildPlanPrompt(task, { maxContextTokens });
  const started = clock.now();
  const context: RequestContext = {
    taskType: task.taskType,
    languageId: task.source?.languageId ?? 'plaintext',
    promptTokens: prompt.promptTokens,
    selectionLines: task.source?.selection ? task.source.selection.endLine - task.source.selection.startLine + 1 : 0,
    fileLines: task.source ? task.source.text.split('\n').length : 0,
    workspaceKind: task.workspaceKind ?? 'none',
    providerFamily: `${provider.id}/${provider.family(deps.model)}`,
    hour: options.hour ?? new Date(started).getHours(),
  };
  const baselineOnly = deps.health.failing !== undefined;
  // By id: the serving process's space decides (the baseline, always allowed, is its own).
  const allowedArmIds = baselineOnly ? [] : arms.allowedIds;
  const recommendation = await deps.service.recommend(context, deps.sessionKey, { allowedArmIds });
  if (recommendation.kind === 'refused') throw new PlanRefusedError(recommendation.message);
  const decision = recommendation.decision;
  const armModel = decision.params.model ?? deps.model;
  // Mapped from the decision's own parameters: the serving process's space decided them.
  const mapping = provider.map(decision.params, armModel);
  const sentAt = clock.now();
  // Logged as soon as the provider accepts the request, with the mapping as finally sent (after a
  // live rejection, without the rejected parameter), while the answer streams: the decision is
  // durable before the outcome can be recorded, and logging adds nothing to the time to the first
  // token. A request that never got that far is logged when it failed, as last sent.
  let logged: Promise<Decision> | undefined;
  const log = (sent: RequestMapping): Promise<Decision> =>
    (logged ??= deps.service.logDecision(decision.requestId, { honouredParams: sent.honoured, droppedParams: sent.dropped }));
  let result: LlmResult | undefined;
  let error: LlmError | undefined;
  try {
    result = await provider.stream({
      model: armModel,
      messages: prompt.messages,
      mapping,
      ...(options.onText ? { onText: options.onText } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.idleTimeoutMs !== undefined ? { idleTimeoutMs: options.idleTimeoutMs } : {}),
      onSent: (sent) => void log(sent).catch(() => undefined),
    });
  } catch (e) {
    error = e instanceof LlmError ? e : new LlmError('server', `the provider failed unexpectedly: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  const loggedDecision = await log(result?.mapping ?? error?.details.mapping ?? mapping);
  const ended = clock.now();
  if (result) {
    deps.health.recordSuccess();
    if (result.learnedUnsupported.length > 0) cache.forget();
  } else if (error) {
    deps.health.recordFailure(error, ended);
  }
  const text = result?.text ?? error?.details.partialText ?? '';
  const finishReason = result?.finishReason ?? (error?.kind === 'cancelled' ? 'cancelled' : 'error');
  const report = checkPlan(text, task.taskType, finishReason);
  const outcome: Outcome = {
    requestId: decision.requestId,
    timestamp: ended,
    latencyMs: result?.latencyMs ?? Math.max(0, ended - sentAt),
    ...(result?.timeToFirstTokenMs !== undefined ? { timeToFirstTokenMs: result.timeToFirstTokenMs } : {}),
    // A request that failed before any text cost no tokens as far as anyone can tell.
    tokensIn: result?.tokensIn ?? (text === '' ? 0 : prompt.promptTokens),
    tokensOut: result?.tokensOut ?? estimateTokens(text),
    finishReason,
    ...(error ? { error: `${error.kind}: ${error.message}` } : {}),
    // A failed request is worth nothing, whatever text it left.
    quality: error ? 0 : report.quality,
  };
  let recorded: Promise<OutcomeResult> | undefined;
  return {
    requestId: decision.requestId,
    decision: loggedDecision,
    mapping: result?.mapping ?? mapping,
    context,
    prompt,
    model: result?.modelUsed ?? armModel,
    baselineOnly,
    budget: { action: recommendation.budget.action === 'fallback' ? 'fallback' : 'serve', ...(recommendation.budget.message !== undefined ? { message: recommendation.budget.message } : {}) },
    text,
    ...(result ? { result } : {}),
    ...(error ? { error } : {}),
    report,
    outcome,
    record(verdict?: Verdict, rating?: number): Promise<OutcomeResult> {
      recorded ??= deps.service.recordOutcome(decision.requestId, {
        ...outcome,
        ...(verdict !== undefined ? { verdict } : {}),
        ...(rating !== undefined ? { rating } : {}),
        quality: error ? 0 : qualityWithVerdict(outcome.quality, verdict, rating),
      });
      return recorded;
    },
  };
}
