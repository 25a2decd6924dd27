// The low-traffic table: with the default rollout and SLO settings and one developer's ~30 requests a
// day, how long each phase takes and how many harmful requests the SLO monitor lets through before it
// rolls back. The rollout manager, SLO monitor and gate are the real ones (src/core); the outcome model
// and two gate inputs are stand-ins, stated in `assumptions` of the output. Not a speed benchmark:
// the figures are counts and days, identical on every machine for the same seeds. The one timing,
// `perDecisionMicros`, is the cost of the safety calls per request (noisy on a shared 2-core machine).
import type { BenchSection } from './sections';
import { evaluateGate } from '../src/core/safety/gates';
import type { GateVerdict } from '../src/core/safety/gates';
import { AuditLog } from '../src/core/safety/audit';
import { BudgetTracker } from '../src/core/safety/budget';
import { RolloutManager } from '../src/core/safety/rollout';
import { BoundedMeanSequence, SloMonitor } from '../src/core/safety/slo';
import type { SloObservation } from '../src/core/safety/slo';
import type { RolloutPhase, ServedBy } from '../src/core/types';

const dayMs = 86_400_000;

/** Mulberry32: a small seeded uniform generator. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface LowTrafficOptions {
  requestsPerDay: number;
  /** Added to the learned policy's mean quality (baseline mean 0.7, sd 0.2, clipped to [0, 1]). */
  qualityShift: number;
  horizonDays: number;
  seed: number;
}

export interface LowTrafficRun {
  /** Day each phase was entered (shadow at 0), undefined if never reached. */
  enteredDay: Partial<Record<RolloutPhase, number>>;
  rolledBack: boolean;
  rollbackDay?: number;
  rollbackMetric?: string;
  /** Requests served by the learned policy before (and including) the one that triggered the rollback. */
  learnedRequestsBeforeRollback?: number;
  finalPhase: RolloutPhase;
  finalStatus: string;
}

/**
 * One simulated rollout from shadow with default settings. Each request is its own traffic key.
 * Outcomes: quality N(0.7 (+ shift when learned), 0.2) clipped to [0, 1]; latency log-normal (median
 * ≈ 3 s, σ 0.5); tokens 1500 ± 300; 3% errors; the same for both policies except the quality shift.
 * Gate: samples and budget as computed; trust region and ESS taken as passing; quality = the learned
 * quality's lower confidence bound in the phase (time-uniform, a = 0.05) against the 0.5 floor; the
 * value check uses that same lower bound against the baseline's mean quality as a stand-in for the DR
 * lower bound. In shadow, where no learned outcome exists, both are taken as passing: the real gate
 * decides there on OPE, and what is measured here is what the SLO monitor does once a candidate is live
 * (a harmful candidate reaching canary is the case of an OPE that was fooled).
 */
export function simulateLowTraffic(o: LowTrafficOptions): LowTrafficRun {
  const u = seeded(o.seed);
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  const clip01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x);
  const t0 = 0;
  const rollout = new RolloutManager({ splitSalt: `run-${o.seed}` }, t0);
  const monitor = new SloMonitor();
  const enteredDay: LowTrafficRun['enteredDay'] = { shadow: 0 };
  let phaseQuality = new BoundedMeanSequence(0.05);
  let baselineQualitySum = 0;
  let baselineN = 0;
  let learnedTotal = 0;
  const total = Math.round(o.requestsPerDay * o.horizonDays);
  for (let j = 0; j < total; j++) {
    const now = t0 + ((j + u()) / o.requestsPerDay) * dayMs;
    rollout.recordDecision();
    const servedBy: ServedBy = rollout.servedBy(`request-${j}`);
    const learned = servedBy === 'learned';
    const obs: SloObservation = {
      quality: clip01(0.7 + (learned ? o.qualityShift : 0) + 0.2 * normal()),
      latencyMs: Math.exp(8 + 0.5 * normal()),
      tokens: Math.max(0, 1500 + 300 * normal()),
      failed: u() < 0.03,
    };
    if (learned) {
      learnedTotal++;
      phaseQuality.push(obs.quality);
    } else {
      baselineQualitySum += obs.quality;
      baselineN++;
    }
    rollout.recordOutcome(servedBy);
    const breach = monitor.observe(servedBy, obs, now);
    if (breach) {
      rollout.rollbackOnBreach(breach, now);
      return {
        enteredDay,
        rolledBack: true,
        rollbackDay: now / dayMs,
        rollbackMetric: breach.metric,
        learnedRequestsBeforeRollback: learnedTotal,
        finalPhase: rollout.phase,
        finalStatus: rollout.status,
      };
    }
    const inShadow = rollout.phase === 'shadow';
    const qualityLower = inShadow ? 1 : phaseQuality.lower;
    const baselineMean = baselineN > 0 ? baselineQualitySum / baselineN : 0.7;
    const gate: GateVerdict = evaluateGate({
      phase: rollout.phase,
      samples: rollout.samplesInPhase,
      minSamples: rollout.config.phases[rollout.phase].minSamples,
      effectiveSampleSize: Infinity,
      candidateArms: [],
      trustRegion: { contains: () => true },
      quality: { mean: phaseQuality.mean, lower: qualityLower, n: phaseQuality.count },
      value: {
        candidate: { estimate: phaseQuality.mean, lower: qualityLower },
        baseline: { estimate: baselineMean, lower: baselineMean },
        difference: { estimate: phaseQuality.mean - baselineMean, lower: inShadow ? 1 : phaseQuality.lower - baselineMean },
        look: 1,
        level: 0.05,
        trainedOn: 0,
        evaluatedOn: phaseQuality.count,
        sessions: phaseQuality.count,
      },
      candidateMassOffSupport: 0,
      budget: { exhausted: false, remaining: 1e9 },
    });
    const event = rollout.evaluate(now, gate);
    if (event?.kind === 'promote') {
      enteredDay[event.to] = now / dayMs;
      phaseQuality = new BoundedMeanSequence(0.05);
    }
  }
  return { enteredDay, rolledBack: false, finalPhase: rollout.phase, finalStatus: rollout.status };
}

function percentile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? null;
}

function summary(values: number[]): { n: number; median: number | null; p90: number | null } {
  const s = [...values].sort((a, b) => a - b);
  const r = (x: number | null): number | null => (x === null ? null : Math.round(x * 10) / 10);
  return { n: s.length, median: r(percentile(s, 0.5)), p90: r(percentile(s, 0.9)) };
}

/** Runs `runs` seeds of one scenario and summarises phase durations and rollbacks. */
export function lowTrafficScenario(qualityShift: number, runs: number, horizonDays: number, requestsPerDay = 30, firstSeed = 1): Record<string, unknown> {
  const results = Array.from({ length: runs }, (_, i) => simulateLowTraffic({ requestsPerDay, qualityShift, horizonDays, seed: firstSeed + i }));
  const phaseDays = (from: RolloutPhase, to: RolloutPhase): number[] =>
    results.flatMap((r) => {
      const a = r.enteredDay[from];
      const b = r.enteredDay[to];
      return a !== undefined && b !== undefined ? [b - a] : [];
    });
  const rolled = results.filter((r) => r.rolledBack);
  const finals: Record<string, number> = {};
  for (const r of results) finals[`${r.finalPhase}/${r.finalStatus}`] = (finals[`${r.finalPhase}/${r.finalStatus}`] ?? 0) + 1;
  const metrics: Record<string, number> = {};
  for (const r of rolled) metrics[r.rollbackMetric ?? '?'] = (metrics[r.rollbackMetric ?? '?'] ?? 0) + 1;
  return {
    qualityShift,
    runs,
    horizonDays,
    requestsPerDay,
    daysInShadow: summary(phaseDays('shadow', 'canary')),
    daysInCanary: summary(phaseDays('canary', 'guarded')),
    daysInGuarded: summary(phaseDays('guarded', 'general')),
    daysToGeneral: summary(phaseDays('shadow', 'general')),
    rolledBackRuns: rolled.length,
    rollbackRate: rolled.length / runs,
    rollbackMetrics: metrics,
    harmfulRequestsBeforeRollback: summary(rolled.map((r) => r.learnedRequestsBeforeRollback ?? 0)),
    daysToRollback: summary(rolled.map((r) => r.rollbackDay ?? 0)),
    finalStates: finals,
  };
}

/** Microseconds per call of what the optimizer runs on every request (median of 5 batches). */
export function perDecisionMicros(): Record<string, number> {
  const u = seeded(99);
  const rollout = new RolloutManager({}, 0);
  rollout.promote('bench', 'time the canary split (shadow answers without hashing)', 0);
  const monitor = new SloMonitor();
  const budget = new BudgetTracker({}, new AuditLog());
  const costs = Float64Array.from({ length: 48 }, (_, i) => 500 + 100 * i);
  const mask = new Uint8Array(48);
  const time = (f: (i: number) => void, n: number): number => {
    const batches: number[] = [];
    for (let b = 0; b < 5; b++) {
      const start = performance.now();
      for (let i = 0; i < n; i++) f(i);
      batches.push(((performance.now() - start) * 1000) / n);
    }
    batches.sort((a, b) => a - b);
    return Math.round((batches[2] ?? 0) * 100) / 100;
  };
  return {
    rolloutServedBy: time((i) => rollout.servedBy(`session-${i}`), 20_000),
    sloObserve: time((i) => monitor.observe(i % 4 === 0 ? 'learned' : 'baseline', { quality: u(), latencyMs: 1000 + 3000 * u(), tokens: 2000 * u(), failed: u() < 0.03 }, i), 20_000),
    budgetEligibility48Arms: time((i) => budget.eligibility('planTask', i, costs, mask), 20_000),
  };
}

export const lowTrafficSection: BenchSection = {
  name: 'lowTraffic',
  async run() {
    return {
      perDecisionMicros: perDecisionMicros(),
      assumptions:
        '30 requests/day, one traffic key per request, default rollout/SLO settings; quality N(0.7, 0.2) clipped, the learned policy shifted by qualityShift; ' +
        'latency, tokens and errors equal for both policies; gate: trust region and ESS pass, quality and value checks use the learned quality lower bound ' +
        '(a = 0.05) per phase against the 0.5 floor and the baseline mean (a stand-in for the DR bound); in shadow they pass (a harmful candidate reaching canary = OPE fooled).',
      better: lowTrafficScenario(0.1, 200, 120),
      equal: lowTrafficScenario(0, 200, 180),
      harmful: lowTrafficScenario(-0.2, 500, 180),
      slightlyWorse: lowTrafficScenario(-0.1, 200, 180),
    };
  },
};
