// The promotion gate's two error rates, with the real machinery (GuardedOptimizer: the real learner,
// OPE gate, SLO monitor) at one developer's traffic (30 requests a day, sessions ≤ 2 h):
// - falsePromotion: in the flat world (`--env llm-planning-flat`, every arm worth the baseline arm in
//   every context) any promotion out of shadow is a false one; target ≤ 5% of runs over 40 days;
// - learner: in `llm-planning` the learner ends about 0.15 above the baseline arm in true reward;
//   target: the general phase in ≥ 95% of runs (here within 90 days), and how many days it takes.
// Counts and days, identical on every machine for the same seeds; `secondsPerRun` is the only timing.
import type { BenchSection } from './sections';
import { parsePolicySettings } from '../src/core/policies';
import { parseRewardSettings } from '../src/core/reward';
import { buildSpace } from '../src/core/space';
import { createLlmPlanningEnvironment } from '../src/sim/llmPlanning';
import { runRollout, type RolloutRunResult } from '../src/sim/runRollout';

function summary(values: readonly number[]): { n: number; median?: number; p90?: number; max?: number } {
  if (values.length === 0) return { n: 0 };
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number): number => Math.round((s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN) * 10) / 10;
  return { n: s.length, median: at(0.5), p90: at(0.9), max: at(1) };
}

function runs(flat: boolean, seeds: readonly number[], rounds: number): { results: RolloutRunResult[]; secondsPerRun: number } {
  const environment = createLlmPlanningEnvironment(buildSpace({}), { flat });
  const started = performance.now();
  const results = seeds.map((seed) => runRollout({ environment, policy: 'thompson', policySettings: parsePolicySettings({}), rewardSettings: parseRewardSettings({}), rounds, seed }).result);
  return { results, secondsPerRun: Math.round((performance.now() - started) / seeds.length) / 1000 };
}

const promotedAt = (r: RolloutRunResult, to: string): number | undefined => r.events.find((e) => e.kind === 'promote' && e.to === to && e.actor === 'auto')?.day;
const range = (from: number, count: number): number[] => Array.from({ length: count }, (_, i) => from + i);

/** Null runs: how many leave shadow within 40 days. */
export function falsePromotion(seeds: readonly number[]): Record<string, unknown> {
  const { results, secondsPerRun } = runs(true, seeds, 1200);
  const promoted = results.filter((r) => promotedAt(r, 'canary') !== undefined);
  return {
    runs: seeds.length,
    promotedOutOfShadow: promoted.length,
    rate: promoted.length / seeds.length,
    target: '≤ 0.05',
    daysOfFalsePromotions: promoted.map((r) => promotedAt(r, 'canary')),
    simulatedDays: 40,
    secondsPerRun,
  };
}

/** Learner runs: how many reach general within 90 days, and when each phase was entered. */
export function learner(seeds: readonly number[]): Record<string, unknown> {
  const { results, secondsPerRun } = runs(false, seeds, 2700);
  const general = results.filter((r) => promotedAt(r, 'general') !== undefined);
  const days = (to: string): number[] => results.flatMap((r) => promotedAt(r, to) ?? []);
  return {
    runs: seeds.length,
    reachedGeneral: general.length,
    rate: general.length / seeds.length,
    target: '≥ 0.95',
    dayEnteringCanary: summary(days('canary')),
    dayEnteringGuarded: summary(days('guarded')),
    dayEnteringGeneral: summary(days('general')),
    rolledBackRuns: results.filter((r) => r.incidents.length > 0).length,
    simulatedDays: 90,
    secondsPerRun,
  };
}

export const promotionGateSection: BenchSection = {
  name: 'promotionGate',
  async run() {
    return {
      assumptions:
        '30 requests/day, default GuardedOptimizer settings (false-promotion rate 0.05 per phase spent over looks, looks spaced by 1.5× rows), sessions ≤ 2 h; ' +
        'learner = Thompson sampling, shared features; falsePromotion in llm-planning-flat, learner in llm-planning',
      falsePromotion: falsePromotion(range(1, 100)),
      learner: learner(range(1, 40)),
    };
  },
};
