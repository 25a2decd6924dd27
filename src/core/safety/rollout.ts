/**
 * Rollout manager (ARCHITECTURE.md §"Statistics", "Mixtures", "Promotion gate", "Rollback"): the phases shadow (0% of
 * requests served by the learned policy), canary (5%), guarded (25%) and general (100%), a sticky
 * traffic split, and the state machine that promotes a candidate when the evidence suffices, says so
 * when it does not by the phase's deadline, and rolls back at once on an SLO breach.
 *
 * Sticky split. A request carries a stable key (its session or request group). The key is hashed
 * with a salt to a bucket u ∈ [0, 1); the learned policy serves it iff u < p_phase. The same key is
 * always served by the same policy within a phase, so one session sees consistent behaviour, and
 * raising p only adds keys (the keys served at 5% are still served at 25%).
 *
 * Which propensity is logged, and why it is right for OPE. For one key the serving policy is fixed,
 * so given the key the probability of arm a is π_l(a|x) or π_b(a|x). But the bucket is a hash of an
 * opaque id, independent of the context x and of the outcome, and uniform over keys; before the key
 * is drawn, P(learned) = p. Marginally over that draw, the arm a request receives has probability
 *   μ(a|x) = (1 − p)·π_b(a|x) + p·π_l(a|x),
 * and this is what `Decision.propensity` holds (with the full vector in `Decision.probabilities`).
 * An IPS/DR estimator needs, per logged request, the probability of its action given its context
 * under the process that generated the log; by linearity of expectation E[1{A = a}/μ(a|x) · r] is
 * unbiased for every request whose bucket is independent of (x, r), whatever other requests share
 * its key. Sharing a key only correlates requests (same bucket), which leaves the estimate unbiased
 * and widens its variance: bootstrap over keys rather than over requests when keys repeat a lot.
 * The per-key probability (π of the policy that actually served) would also be valid, conditioning
 * on the bucket; the mixture is preferred because its weights are bounded by 1/((1 − p)π_b(a|x))
 * where π_b explores, never by 1/(p·π_l) alone (the "balance heuristic" of multiple importance
 * sampling, Veach & Guibas 1995), and because ARCHITECTURE.md §"Statistics" fixes it as the contract. `servedBy` is
 * logged too, so either can be recomputed. In shadow p = 0: the mixture is the baseline, and the
 * learned policy's would-be choice goes in `Decision.shadow`.
 */
import { z } from 'zod';
import { sha256Hex } from './audit';
import { plainArray } from '../math/linalg';
import type { GateVerdict } from './gates';
import type { Incident, SloBreach } from './slo';
import { rolloutPhases } from '../types';
import type { Decision, RolloutPhase, ServedBy } from '../types';

const phaseSettingsSchema = z.object({
  /** Share of keys served by the learned policy, in [0, 1]. */
  trafficShare: z.number().min(0).max(1),
  /**
   * Evidence needed before promotion: in shadow, logged requests with an outcome (OPE scores only
   * those); in canary and guarded, requests served by the learned policy with an outcome.
   */
  minSamples: z.number().int().min(0),
  /** Minimum time in the phase, in days (so a weekday/weekend cycle is seen, for instance). */
  minDurationDays: z.number().min(0),
  /** After this many days without enough evidence the phase is declared inconclusive (it stays). */
  deadlineDays: z.number().positive(),
});
export type PhaseSettings = z.infer<typeof phaseSettingsSchema>;

/** Rollout settings; the defaults suit one developer making ~30 requests a day. */
export const rolloutConfigSchema = z.object({
  phases: z
    .object({
      shadow: phaseSettingsSchema.prefault({ trafficShare: 0, minSamples: 60, minDurationDays: 2, deadlineDays: 14 }),
      canary: phaseSettingsSchema.prefault({ trafficShare: 0.05, minSamples: 10, minDurationDays: 3, deadlineDays: 28 }),
      guarded: phaseSettingsSchema.prefault({ trafficShare: 0.25, minSamples: 30, minDurationDays: 3, deadlineDays: 28 }),
      general: phaseSettingsSchema.prefault({ trafficShare: 1, minSamples: 0, minDurationDays: 0, deadlineDays: 3650 }),
    })
    .prefault({}),
  /** Where a rollback goes: one phase down, or straight to shadow. */
  rollbackTo: z.enum(['previous', 'shadow']).default('previous'),
  /** Promote as soon as the evidence suffices; when false the state becomes Promotable and waits. */
  autoPromote: z.boolean().default(true),
  /** Salt of the traffic hash; change it to reshuffle which keys are in the canary. */
  splitSalt: z.string().default('paramloop'),
});
export type RolloutConfig = z.infer<typeof rolloutConfigSchema>;
export type RolloutConfigInput = z.input<typeof rolloutConfigSchema>;

export const rolloutStatuses = ['running', 'promotable', 'inconclusive', 'rolledBack', 'paused'] as const;
/** Running: collecting evidence. Promotable: evidence suffices, waiting for a person. Inconclusive:
 * the deadline passed without enough evidence (the phase continues). RolledBack: holding after a
 * rollback until someone resumes. Paused: no promotion until resumed (traffic split unchanged). */
export type RolloutStatus = (typeof rolloutStatuses)[number];

export const rolloutEventKinds = ['promote', 'promotable', 'inconclusive', 'rollback', 'pause', 'resume'] as const;
export type RolloutEventKind = (typeof rolloutEventKinds)[number];

/** A transition, for persistence (store: rolloutEvent) and for the extension to show. */
export interface RolloutEvent {
  kind: RolloutEventKind;
  timestamp: number;
  from: RolloutPhase;
  to: RolloutPhase;
  fromStatus: RolloutStatus;
  toStatus: RolloutStatus;
  /** Who acted: a person, or "auto" / "slo-monitor" / "drift". */
  actor: string;
  reason: string;
  /** The numbers behind the transition (samples, days, gate checks, breach bounds…). */
  evidence: Record<string, number | string | boolean | null>;
}

/** Persisted state of the manager. */
export interface RolloutState {
  phase: RolloutPhase;
  status: RolloutStatus;
  /** Status to return to when a pause ends. */
  statusBeforePause?: RolloutStatus;
  phaseStartedAt: number;
  decisionsInPhase: number;
  /** Outcomes of the phase's own decisions (an outcome of an earlier phase's decision is not counted). */
  outcomesInPhase: number;
  learnedInPhase: number;
  incidents: number;
}

const dayMs = 86_400_000;

/** Uniform bucket in [0, 1) of a key: the first 52 bits of SHA-256(salt, key). */
export function trafficBucket(key: string, salt: string): number {
  const hex = sha256Hex(`${salt}\u0000${key}`).slice(0, 13);
  return parseInt(hex, 16) / 2 ** 52;
}

/** Logged propensity of the served arm under the mixture: (1 − p)·π_b(a) + p·π_l(a). */
export function mixturePropensity(baselineProbability: number, learnedProbability: number, share: number): number {
  return (1 - share) * baselineProbability + share * learnedProbability;
}

/** The mixture over all arms, written into `out` (no allocation). */
export function mixtureProbabilities(baseline: ArrayLike<number>, learned: ArrayLike<number>, share: number, out: Float64Array): Float64Array {
  for (let i = 0; i < out.length; i++) out[i] = (1 - share) * (baseline[i] ?? 0) + share * (learned[i] ?? 0);
  return out;
}

/** The `Decision.shadow` record: what the learned policy would have chosen, with its probability. */
export function shadowRecord(learnedArm: number, learnedProbabilities: ArrayLike<number>): NonNullable<Decision['shadow']> {
  return { armIndex: learnedArm, propensity: learnedProbabilities[learnedArm] ?? 0, probabilities: plainArray(learnedProbabilities) };
}

function nextPhase(phase: RolloutPhase): RolloutPhase {
  return rolloutPhases[Math.min(rolloutPhases.indexOf(phase) + 1, rolloutPhases.length - 1)] as RolloutPhase;
}

function previousPhase(phase: RolloutPhase): RolloutPhase {
  return rolloutPhases[Math.max(rolloutPhases.indexOf(phase) - 1, 0)] as RolloutPhase;
}

/** The rollout state machine. Pure: timestamps are arguments; it returns events, the caller stores them. */
export class RolloutManager {
  readonly config: RolloutConfig;
  private s: RolloutState;
  private readonly log: RolloutEvent[] = [];

  constructor(config: RolloutConfigInput, startedAt: number, state?: RolloutState) {
    this.config = rolloutConfigSchema.parse(config);
    this.s = state
      ? { ...state, outcomesInPhase: state.outcomesInPhase ?? 0 }
      : { phase: 'shadow', status: 'running', phaseStartedAt: startedAt, decisionsInPhase: 0, outcomesInPhase: 0, learnedInPhase: 0, incidents: 0 };
  }

  get phase(): RolloutPhase {
    return this.s.phase;
  }

  get status(): RolloutStatus {
    return this.s.status;
  }

  /** Events since construction, oldest first. */
  get events(): readonly RolloutEvent[] {
    return this.log;
  }

  toJSON(): RolloutState {
    return { ...this.s };
  }

  /** The learned policy's share of keys in the current phase. */
  get share(): number {
    return this.config.phases[this.s.phase].trafficShare;
  }

  /**
   * Samples counted toward the current phase's minimum: in shadow the requests with an outcome (a
   * decision whose outcome has not arrived gives OPE nothing to score), learned outcomes after.
   */
  get samplesInPhase(): number {
    return this.s.phase === 'shadow' ? this.s.outcomesInPhase : this.s.learnedInPhase;
  }

  /** Who serves a request with this key (sticky: same key, same answer within a phase). */
  servedBy(key: string): ServedBy {
    const p = this.share;
    if (p <= 0) return 'baseline';
    if (p >= 1) return 'learned';
    return trafficBucket(key, this.config.splitSalt) < p ? 'learned' : 'baseline';
  }

  /** Counts a decision (call when it is made) toward the phase's evidence. */
  recordDecision(): void {
    this.s.decisionsInPhase++;
  }

  /** Counts an outcome of this phase's request served by `servedBy` toward the phase's evidence. */
  recordOutcome(servedBy: ServedBy): void {
    this.s.outcomesInPhase++;
    if (servedBy === 'learned') this.s.learnedInPhase++;
  }

  /**
   * Decides on promotion: with the phase's minimum samples AND minimum duration AND a passing gate,
   * promotes (or marks Promotable when auto-promotion is off); past the deadline without them, marks
   * Inconclusive once, saying what is missing. Does nothing while paused, rolled back or in general.
   */
  evaluate(now: number, gate: GateVerdict | undefined): RolloutEvent | undefined {
    const st = this.s.status;
    if (st === 'paused' || st === 'rolledBack' || this.s.phase === 'general') return undefined;
    const settings = this.config.phases[this.s.phase];
    const samples = this.samplesInPhase;
    const days = (now - this.s.phaseStartedAt) / dayMs;
    const enoughSamples = samples >= settings.minSamples;
    const enoughTime = days >= settings.minDurationDays;
    const gatePassed = gate?.passed === true;
    const evidence: RolloutEvent['evidence'] = {
      samples,
      minSamples: settings.minSamples,
      days: Math.round(days * 1000) / 1000,
      minDurationDays: settings.minDurationDays,
      deadlineDays: settings.deadlineDays,
      gatePassed,
      gate: gate?.summary ?? 'no gate verdict',
    };
    if (gate) for (const c of gate.checks) evidence[`gate.${c.name}`] = `${c.passed ? 'pass' : 'fail'}: ${c.value} vs ${c.threshold}`;

    if (enoughSamples && enoughTime && gatePassed) {
      if (this.config.autoPromote) return this.moveTo('promote', nextPhase(this.s.phase), 'running', 'auto', 'promotion gate passed', now, evidence);
      if (st !== 'promotable') return this.transition('promotable', this.s.phase, 'promotable', 'auto', 'evidence suffices; waiting for a manual promotion', now, evidence);
      return undefined;
    }
    if (st === 'promotable') {
      // The evidence no longer suffices (e.g. the gate now fails): back to collecting.
      return this.transition('promotable', this.s.phase, 'running', 'auto', `no longer promotable: ${missing(enoughSamples, enoughTime, gate)}`, now, evidence);
    }
    if (st === 'running' && days >= settings.deadlineDays) {
      const reason = `not enough evidence after ${settings.deadlineDays} days: ${missing(enoughSamples, enoughTime, gate)}; staying in ${this.s.phase}`;
      return this.transition('inconclusive', this.s.phase, 'inconclusive', 'auto', reason, now, evidence);
    }
    return undefined;
  }

  /** Manual promotion to the next phase (an override of the gate), recorded with who and why. */
  promote(actor: string, reason: string, now: number, evidence: RolloutEvent['evidence'] = {}): RolloutEvent {
    if (this.s.phase === 'general') throw new Error('already in the general phase');
    return this.moveTo('promote', nextPhase(this.s.phase), 'running', actor, reason, now, evidence);
  }

  /** Rollback to the previous phase or to shadow (setting, or `to` to override), recorded with who and why. */
  rollback(actor: string, reason: string, now: number, evidence: RolloutEvent['evidence'] = {}, to?: 'previous' | 'shadow'): RolloutEvent {
    const target = (to ?? this.config.rollbackTo) === 'shadow' ? 'shadow' : previousPhase(this.s.phase);
    return this.moveTo('rollback', target, 'rolledBack', actor, reason, now, evidence);
  }

  /**
   * Rolls back at once on an SLO breach (to `to` when given, else per the `rollbackTo` setting) and
   * returns the event and the incident record with the breach's evidence.
   */
  rollbackOnBreach(breach: SloBreach, now: number, to?: 'previous' | 'shadow'): { event: RolloutEvent; incident: Incident } {
    const fromPhase = this.s.phase;
    const evidence: RolloutEvent['evidence'] = {
      metric: breach.metric,
      learnedMean: breach.learned.mean,
      learnedLower: breach.learned.lower,
      learnedUpper: breach.learned.upper,
      learnedN: breach.learned.n,
      baselineMean: breach.baseline.mean,
      baselineLower: breach.baseline.lower,
      baselineUpper: breach.baseline.upper,
      baselineN: breach.baseline.n,
      tolerance: breach.tolerance,
      alpha: breach.alpha,
    };
    if (breach.thresholdMs !== undefined) evidence.thresholdMs = breach.thresholdMs;
    const event = this.rollback('slo-monitor', `SLO breach: ${breach.message}`, now, evidence, to);
    this.s.incidents++;
    const incident: Incident = { id: `incident-${now}-${this.s.incidents}`, timestamp: now, fromPhase, toPhase: event.to, breach };
    return { event, incident };
  }

  /**
   * Applies a logged event (restoring from a log): the state becomes what it was right after the
   * event, exactly as the method that produced it left it. The incident count moves with
   * `countIncident`, as the log records incidents apart.
   */
  applyEvent(e: RolloutEvent): void {
    if (e.from !== this.s.phase) throw new Error(`rollout event ${e.kind} ${e.from} → ${e.to} does not follow phase ${this.s.phase}`);
    if (e.kind === 'pause') this.s.statusBeforePause = e.fromStatus;
    if (e.kind === 'resume') delete this.s.statusBeforePause;
    this.s.phase = e.to;
    this.s.status = e.toStatus;
    if (e.kind === 'promote' || e.kind === 'rollback') {
      this.s.phaseStartedAt = e.timestamp;
      this.s.decisionsInPhase = 0;
      this.s.outcomesInPhase = 0;
      this.s.learnedInPhase = 0;
      delete this.s.statusBeforePause;
    }
    this.log.push(e);
  }

  /** Counts an incident (restoring from a log; `rollbackOnBreach` counts its own). */
  countIncident(): void {
    this.s.incidents++;
  }

  /** Stops promotion (traffic stays as it is) until `resume`. */
  pause(actor: string, reason: string, now: number): RolloutEvent {
    if (this.s.status === 'paused') throw new Error('already paused');
    const before = this.s.status;
    const e = this.transition('pause', this.s.phase, 'paused', actor, reason, now, {});
    this.s.statusBeforePause = before;
    return e;
  }

  /** Ends a pause (back to the status before it) or a rolled-back hold (back to running). */
  resume(actor: string, reason: string, now: number): RolloutEvent {
    if (this.s.status !== 'paused' && this.s.status !== 'rolledBack') throw new Error(`cannot resume from ${this.s.status}`);
    const back = this.s.status === 'paused' ? (this.s.statusBeforePause ?? 'running') : 'running';
    delete this.s.statusBeforePause;
    return this.transition('resume', this.s.phase, back, actor, reason, now, {});
  }

  private moveTo(
    kind: RolloutEventKind,
    to: RolloutPhase,
    status: RolloutStatus,
    actor: string,
    reason: string,
    now: number,
    evidence: RolloutEvent['evidence'],
  ): RolloutEvent {
    const e = this.transition(kind, to, status, actor, reason, now, evidence);
    this.s.phaseStartedAt = now;
    this.s.decisionsInPhase = 0;
    this.s.outcomesInPhase = 0;
    this.s.learnedInPhase = 0;
    delete this.s.statusBeforePause;
    return e;
  }

  private transition(
    kind: RolloutEventKind,
    to: RolloutPhase,
    status: RolloutStatus,
    actor: string,
    reason: string,
    now: number,
    evidence: RolloutEvent['evidence'],
  ): RolloutEvent {
    const e: RolloutEvent = { kind, timestamp: now, from: this.s.phase, to, fromStatus: this.s.status, toStatus: status, actor, reason, evidence };
    this.s.phase = to;
    this.s.status = status;
    this.log.push(e);
    return e;
  }
}

function missing(enoughSamples: boolean, enoughTime: boolean, gate: GateVerdict | undefined): string {
  const parts: string[] = [];
  if (!enoughSamples) parts.push('too few samples');
  if (!enoughTime) parts.push('minimum duration not reached');
  if (!gate) parts.push('no gate verdict');
  else if (!gate.passed) parts.push(`gate: ${gate.summary}`);
  return parts.join('; ');
}
