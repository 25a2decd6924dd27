// The SLO monitor's power at one developer's traffic: 30 requests a day in sessions of 3, a share of
// the sessions served by the learned policy, outcomes drawn as in the low-traffic bench (quality
// N(0.7, 0.2) clipped to [0, 1], log-normal latency with a median of 3 s, 1,500 ± 300 tokens, 2% errors),
// with one regression injected into the learned policy's outcomes. Reported: the share of 100 seeded
// runs rolled back within 40 and within 90 days, and on which metric; the equal candidate's row is the
// false-alarm rate. Counts only, identical on every machine.
import type { BenchSection } from './sections';
import { createRng } from '../src/core/math/random';
import { SloMonitor, type SloObservation } from '../src/core/safety/slo';

interface Regression {
  qualityShift: number;
  errorRate: number;
}

function detection(share: number, regression: Regression, days: number, seeds: number): { caught: number; metrics: Record<string, number>; medianLearned: number | null } {
  let caught = 0;
  const metrics: Record<string, number> = {};
  const learnedAtBreach: number[] = [];
  for (let seed = 1; seed <= seeds; seed++) {
    const rng = createRng(seed);
    const monitor = new SloMonitor();
    let learned = false;
    let learnedCount = 0;
    for (let i = 0; i < 30 * days; i++) {
      if (i % 3 === 0) learned = rng.next() < share;
      const failed = rng.next() < (learned ? regression.errorRate : 0.02);
      const obs: SloObservation = {
        quality: Math.min(1, Math.max(0, 0.7 + (learned ? regression.qualityShift : 0) + 0.2 * rng.normal())),
        latencyMs: 3000 * Math.exp(0.5 * rng.normal()),
        tokens: 1500 + 300 * rng.normal(),
        failed,
      };
      if (learned) learnedCount++;
      const breach = monitor.observe(learned ? 'learned' : 'baseline', obs, i);
      if (breach) {
        caught++;
        metrics[breach.metric] = (metrics[breach.metric] ?? 0) + 1;
        learnedAtBreach.push(learnedCount);
        break;
      }
    }
  }
  learnedAtBreach.sort((a, b) => a - b);
  return { caught, metrics, medianLearned: learnedAtBreach[Math.floor(learnedAtBreach.length / 2)] ?? null };
}

export const sloPowerSection: BenchSection = {
  name: 'sloPower',
  async run() {
    const cases: Record<string, Regression> = {
      equal: { qualityShift: 0, errorRate: 0.02 },
      qualityMinus010: { qualityShift: -0.1, errorRate: 0.02 },
      qualityMinus005: { qualityShift: -0.05, errorRate: 0.02 },
      errors2to10Percent: { qualityShift: 0, errorRate: 0.1 },
    };
    const out: Record<string, unknown> = {
      assumptions: '100 seeded runs per row, 30 requests/day in sessions of 3, default SLO settings; caught = runs rolled back (of 100)',
    };
    for (const share of [0.05, 0.25]) {
      for (const days of [40, 90]) {
        const row: Record<string, unknown> = {};
        for (const [name, regression] of Object.entries(cases)) row[name] = detection(share, regression, days, 100);
        out[`share${share * 100}Percent${days}Days`] = row;
      }
    }
    return out;
  },
};
