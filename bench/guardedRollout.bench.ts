// The low-traffic table measured with the real machinery: GuardedOptimizer (the real optimizer,
// OPE gate, SLO monitor, budget) in the LLM-planning environment at 30 requests a day, default
// settings, sessions of ≤ 2 h as traffic keys (src/sim/runRollout.ts) — what
// `paramloop simulate --env llm-planning --rollout` runs. Counts and days, identical on every machine
// for the same seeds; `secondsPerRun` is the only timing (noisy on a shared 2-core machine).
import type { BenchSection } from './sections';
import { parsePolicySettings } from '../src/core/policies';
import { parseRewardSettings } from '../src/core/reward';
import type { RolloutPhase } from '../src/core/types';
import { createLlmPlanningEnvironment } from '../src/sim/llmPlanning';
import { runRollout, type RolloutRunOptions, type RolloutRunResult } from '../src/sim/runRollout';

const environment = createLlmPlanningEnvironment();

function summary(values: readonly number[]): { n: number; median: number; p90: number; max: number } | { n: 0 } {
  if (values.length === 0) return { n: 0 };
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number): number => Math.round((s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN) * 10) / 10;
  return { n: s.length, median: at(0.5), p90: at(0.9), max: at(1) };
}

function scenario(seeds: number, options: Pick<RolloutRunOptions, 'policy' | 'rounds'> & Partial<RolloutRunOptions>): Record<string, unknown> {
  const runs: RolloutRunResult[] = [];
  const started = performance.now();
  for (let seed = 1; seed <= seeds; seed++) {
    runs.push(runRollout({ environment, policySettings: parsePolicySettings({}), rewardSettings: parseRewardSettings({}), seed, ...options }).result);
  }
  const entered = (r: RolloutRunResult, phase: RolloutPhase): number | undefined => r.events.find((e) => e.kind === 'promote' && e.to === phase && e.actor === 'auto')?.day;
  const span = (from: RolloutPhase, to: RolloutPhase): number[] =>
    runs.flatMap((r) => {
      const a = from === 'shadow' ? 0 : entered(r, from);
      const b = entered(r, to);
      return a !== undefined && b !== undefined && !r.events.some((e) => e.kind === 'rollback' && e.day <= b) ? [b - a] : [];
    });
  const rolled = runs.filter((r) => r.incidents.length > 0);
  const finals: Record<string, number> = {};
  for (const r of runs) finals[`${r.finalPhase}/${r.status}`] = (finals[`${r.finalPhase}/${r.status}`] ?? 0) + 1;
  return {
    runs: seeds,
    daysInShadow: summary(span('shadow', 'canary')),
    daysInCanary: summary(span('canary', 'guarded')),
    daysInGuarded: summary(span('guarded', 'general')),
    rolledBackRuns: rolled.length,
    rollbackMetrics: rolled.map((r) => r.incidents[0]?.breach.metric),
    harmfulRequestsBeforeRollback: summary(rolled.map((r) => r.learnedBeforeFirstRollback ?? 0)),
    daysToRollback: summary(rolled.map((r) => (r.incidents[0]!.timestamp - Date.UTC(2026, 0, 5, 9)) / 86_400_000)),
    finalStates: finals,
    secondsPerRun: Math.round((performance.now() - started) / seeds) / 1000,
  };
}

export const guardedRolloutSection: BenchSection = {
  name: 'guardedRollout',
  async run() {
    return {
      assumptions:
        '30 requests/day, default settings of GuardedOptimizer (baseline exploration 0.3, min ESS 8/10/15, SLO latency-tail tolerance 0.10), sessions ≤ 2 h; ' +
        'learner = Thompson sampling, shared features (true quality ~0.18 above the baseline); shift = added to the true quality of learned-served requests',
      learnerFromShadow: scenario(20, { policy: 'thompson', rounds: 1800 }),
      learnerShiftedMinus04FromShadow: scenario(20, { policy: 'thompson', rounds: 2700, candidateShift: -0.4, stopOnRollback: true }),
      baselineShiftedMinus02FromCanary: scenario(50, { policy: 'baseline', rounds: 3600, candidateShift: -0.2, startPhase: 'canary', stopOnRollback: true }),
      baselineShiftedMinus02FromGuarded: scenario(50, { policy: 'baseline', rounds: 3600, candidateShift: -0.2, startPhase: 'guarded', stopOnRollback: true }),
      equalFromGuarded: scenario(50, { policy: 'baseline', rounds: 1200, startPhase: 'guarded', stopOnRollback: true }),
    };
  },
};
