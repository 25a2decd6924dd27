/**
 * The whole safety machinery in the LLM-planning environment (`paramloop simulate --rollout`): a
 * GuardedOptimizer from shadow on (or from a later phase by a recorded manual promotion), requests
 * from one developer, and a `candidateShift` added to the true mean quality of every request the
 * learned policy serves (negative: an injected regression).
 *
 * Session keys: one developer's working sessions (core/sessions.ts). A new key starts after a gap of
 * more than `sessionGapHours` (default 1) without requests or after `sessionHours` (default 2) of simulated
 * time, so at 30 requests a day there are ~10–12 keys a day with 2–3 requests each, and a 5% canary
 * serves about one key in twenty: one or two learned requests a day.
 */
import { GuardedOptimizer } from '../core/guardedOptimizer';
import type { GuardedOptions } from '../core/guardedOptions';
import type { OptimizerEvents } from '../core/events';
import type { PolicyKind, PolicySettings } from '../core/policies';
import { createRng, type RngState } from '../core/math/random';
import { SessionTracker, type SessionState } from '../core/sessions';
import type { RewardSettings } from '../core/reward';
import type { Incident } from '../core/safety/slo';
import type { RolloutPhase } from '../core/types';
import type { LlmPlanningEnvironment } from './llmPlanning';

export interface RolloutRunOptions {
  environment: LlmPlanningEnvironment;
  policy: PolicyKind;
  policySettings: PolicySettings;
  rewardSettings: RewardSettings;
  rounds: number;
  seed: number;
  candidateShift?: number;
  /**
   * A change that hits both policies alike (a new model version, a harder project): from `fromDay` on,
   * `qualityShift` is added to the true mean quality of every request, whoever serves it.
   */
  commonShift?: { fromDay: number; qualityShift: number };
  requestsPerDay?: number;
  startTime?: number;
  /** Start in this phase by manual promotions recorded as actor "simulation". */
  startPhase?: RolloutPhase;
  /** Make those promotions after this many simulated days in shadow instead of at once (default 0). */
  startPhaseAtDay?: number;
  /** Stop at the first rollback (the suites measure how long it took). */
  stopOnRollback?: boolean;
  /** Resume automatically after a rollback (a person acknowledging the incident); default false. */
  autoResume?: boolean;
  sessionHours?: number;
  sessionGapHours?: number;
  /** Where every event goes (e.g. a store). */
  events?: OptimizerEvents;
  /** Prefix of every request id (a fresh nonce per run; see LlmRunOptions.requestIdNonce). */
  requestIdNonce?: string;
  /** Settings passed through to the GuardedOptimizer (rollout, slo, gate, budget…). */
  guarded?: Partial<Omit<GuardedOptions, 'space' | 'policyKind' | 'policySettings' | 'rewardSettings' | 'events' | 'clock' | 'seed'>>;
  /**
   * Continue a simulation: an optimizer that already learned (restored from a log), the clock it
   * reads, and the world as the previous run left it. Without them a new optimizer starts at `startTime`.
   */
  resume?: { optimizer: GuardedOptimizer; clock: SimulatedClock; world?: SimulationWorld };
}

/** The simulated time, which the optimizer reads. */
export class SimulatedClock {
  constructor(public t: number) {}
  now(): number {
    return this.t;
  }
}

/** The simulated world between runs: when it is, its random stream, the sessions, the first day. */
export interface SimulationWorld {
  startedAt: number;
  now: number;
  rng: RngState;
  sessions: SessionState;
  /** The start phase's promotions are done. */
  promoted: boolean;
}

/** A phase transition, for the JSON report. */
export interface RolloutRunEvent {
  round: number;
  day: number;
  from: RolloutPhase;
  to: RolloutPhase;
  kind: string;
  actor: string;
  reason: string;
}

export interface RolloutRunResult {
  finalPhase: RolloutPhase;
  status: string;
  events: RolloutRunEvent[];
  incidents: Incident[];
  rounds: number;
  simulatedDays: number;
  refused: number;
  fallbacks: number;
  /** Requests served by the learned policy, in all and until the first rollback. */
  learnedServed: number;
  learnedBeforeFirstRollback: number | null;
  gateEvaluations: number;
  averageReward: number;
}

const phaseOrder: readonly RolloutPhase[] = ['shadow', 'canary', 'guarded', 'general'];

export function runRollout(options: RolloutRunOptions): { result: RolloutRunResult; guarded: GuardedOptimizer; world: SimulationWorld } {
  const env = options.environment;
  const perDay = options.requestsPerDay ?? 30;
  const resumed = options.resume;
  const clock = resumed?.clock ?? new SimulatedClock(options.startTime ?? Date.UTC(2026, 0, 5, 9));
  const previous = resumed?.world;
  if (previous) clock.t = previous.now;
  const start = previous?.startedAt ?? clock.t;
  const worldRng = createRng(options.seed ^ 0x5eed, previous?.rng);
  const shift = options.candidateShift ?? 0;
  const guarded =
    resumed?.optimizer ??
    new GuardedOptimizer({
      ...options.guarded,
      space: env.space,
      policyKind: options.policy,
      policySettings: options.policySettings,
      rewardSettings: options.rewardSettings,
      ...(options.events ? { events: options.events } : {}),
      clock,
      seed: options.seed,
      requestIdNonce: options.requestIdNonce,
    });
  const events: RolloutRunEvent[] = [];
  const push = (round: number, e: { from: RolloutPhase; to: RolloutPhase; kind: string; actor: string; reason: string; timestamp: number }): void => {
    events.push({ round, day: Math.round(((e.timestamp - start) / 86_400_000) * 100) / 100, from: e.from, to: e.to, kind: e.kind, actor: e.actor, reason: e.reason });
  };
  const target = phaseOrder.indexOf(options.startPhase ?? 'shadow');
  const promoteAt = start + (options.startPhaseAtDay ?? 0) * 86_400_000;
  let promoted = previous?.promoted ?? false;
  const promoteWhenDue = (round: number): void => {
    if (promoted || clock.t < promoteAt) return;
    promoted = true;
    while (phaseOrder.indexOf(guarded.phase) < target) push(round, guarded.promote('simulation', `start the candidate in ${options.startPhase} for the experiment`));
  };
  promoteWhenDue(0);

  const sessions = new SessionTracker(clock.t, { gapMs: (options.sessionGapHours ?? 1) * 3_600_000, maxMs: (options.sessionHours ?? 2) * 3_600_000 }, previous?.sessions);
  let refused = 0;
  let fallbacks = 0;
  let learnedServed = 0;
  let learnedBeforeFirstRollback: number | null = null;
  let rewardSum = 0;
  let served = 0;
  let round = 0;
  let gateEvaluations = 0;
  const incidents: Incident[] = [];
  for (; round < options.rounds; round++) {
    clock.t += Math.round((-Math.log(1 - worldRng.next()) * 86_400_000) / perDay);
    const now = clock.t;
    const session = sessions.at(now);
    promoteWhenDue(round);
    const context = env.sampleContext(worldRng);
    const rec = guarded.recommend(context, `session-${options.seed}-${session}`);
    if (rec.kind === 'refused') {
      refused++;
      continue;
    }
    if (rec.budget.action === 'fallback') fallbacks++;
    const decision = guarded.logDecision(rec.decision.requestId);
    const learned = decision.servedBy === 'learned';
    if (learned) learnedServed++;
    const arm = env.space.arms[decision.armIndex]!;
    const common = options.commonShift && now - start >= options.commonShift.fromDay * 86_400_000 ? options.commonShift.qualityShift : 0;
    const outcome = env.sampleOutcome(context, arm, worldRng, decision.requestId, now, (learned ? shift : 0) + common);
    const r = guarded.recordOutcome(decision.requestId, outcome);
    rewardSum += r.report.reward;
    served++;
    for (const e of r.events) push(round, e);
    if (r.verdict && r.verdict.checks.length > 0) gateEvaluations++;
    if (r.incident) incidents.push(r.incident);
    if (r.incident && learnedBeforeFirstRollback === null) learnedBeforeFirstRollback = learnedServed;
    if (r.incident && options.stopOnRollback) {
      round++;
      break;
    }
    if (r.incident && options.autoResume) push(round, guarded.resume('simulation', 'incident acknowledged'));
  }
  const world: SimulationWorld = { startedAt: start, now: clock.t, rng: worldRng.state(), sessions: sessions.toJSON(), promoted };
  return {
    guarded,
    world,
    result: {
      finalPhase: guarded.phase,
      status: guarded.rollout.status,
      events,
      incidents,
      rounds: round,
      simulatedDays: (clock.t - start) / 86_400_000,
      refused,
      fallbacks,
      learnedServed,
      learnedBeforeFirstRollback,
      gateEvaluations,
      averageReward: served > 0 ? rewardSum / served : Number.NaN,
    },
  };
}
