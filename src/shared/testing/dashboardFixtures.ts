/**
 * One valid result per dashboard method, small and hand-written: the protocol's tests answer with
 * them, and the webview's tests can draw them. Each passes its method's result schema (tested).
 */
import type { DashboardMethodName, DashboardResult } from '../dashboardProtocol';

const series = (n: number[], mean: (number | null)[], lower: (number | null)[], upper: (number | null)[]): DashboardResult<'rewardOverTime'>['learned'] => ({ n, mean, lower, upper });

export const dashboardFixtures: { [M in DashboardMethodName]: DashboardResult<M> } = {
  overview: {
    at: 1_767_600_000_000,
    policy: { kind: 'thompson', version: 12 },
    rollout: {
      phase: 'canary',
      status: 'running',
      phaseStartedAt: 1_767_427_200_000,
      learnedShare: 0.05,
      progress: { samples: 4, minSamples: 10, days: 2, minDays: 3, deadlineDays: 28 },
      effectiveSampleSize: null,
      minEffectiveSampleSize: null,
      next: 'canary: 4 of 10 learned outcomes, 2.0 of 3 days; next gate in about 1 day',
    },
    counts: { decisions: 120, rawDecisions: 120, outcomes: 118, pending: 2, incidents: 0 },
    slo: [
      { metric: 'quality', enabled: true, breached: false, margin: -0.2, learned: { n: 4, mean: 0.7, lower: 0.2, upper: 1 }, baseline: { n: 114, mean: 0.68, lower: 0.6, upper: 0.75 } },
      { metric: 'latencyP95', enabled: true, breached: false, margin: -1.1, learned: { n: 0, mean: 0, lower: 0, upper: 1 }, baseline: { n: 0, mean: 0, lower: 0, upper: 1 } },
    ],
    budgets: [{ taskType: 'planTask', daySpent: 12_000, dayLimit: 250_000, weekSpent: 40_000, weekLimit: 1_000_000, remaining: 238_000, exhausted: false }],
    waivers: [],
    drift: { warnings: [], pausePromotion: false, noiseLevel: null, features: [] },
    notices: [],
  },
  rewardOverTime: {
    bucketStarts: [0, 3_600_000],
    bucketMs: 3_600_000,
    decisions: [3, 1],
    learned: series([1, 0], [0.5, null], [null, null], [null, null]),
    baseline: series([2, 1], [0.6, 0.4], [0.404, null], [0.796, null]),
  },
  arms: {
    arms: [
      { armIndex: 0, armId: 'base', params: { temperature: 0.2, maxTokens: 2048 }, isBaseline: true, inTrustRegion: true },
      { armIndex: 1, armId: 't0.4', params: { temperature: 0.4, maxTokens: 2048 }, isBaseline: false, inTrustRegion: true },
    ],
    policyKind: 'thompson',
    posterior: [{ taskType: 'planTask', arms: [{ armIndex: 0, mean: 0.6, sd: 0.1 }, { armIndex: 1, mean: 0.62, sd: 0.2 }] }],
    favoured: [{ taskType: 'planTask', favoured: { armIndex: 1, mean: 0.62, sd: 0.2 }, baseline: { armIndex: 0, mean: 0.6, sd: 0.1 } }],
    share: { bucketStarts: [0], bucketMs: 86_400_000, series: [{ armIndex: 0, counts: [3] }], other: [1], totals: [4] },
  },
  pareto: {
    points: [
      { armIndex: 0, armId: 'base', outcomes: 3, quality: 0.6, latencyMs: 2000, tokens: 900, reward: 0.55, isBaseline: true, dominated: false, dominatedBy: [] },
      { armIndex: 1, armId: 't0.4', outcomes: 1, quality: 0.5, latencyMs: 2500, tokens: 1000, reward: 0.45, isBaseline: false, dominated: true, dominatedBy: [0] },
    ],
  },
  ope: {
    available: false,
    summary: 'no decision has a reward yet',
    policyKind: 'thompson',
    trainedOn: 0,
    scoredOn: 0,
    sessions: null,
    effectiveSampleSize: null,
    minEffectiveSampleSize: 8,
    massOffSupport: null,
    loggedMean: null,
    level: 0.05,
    estimators: [],
  },
  attribution: {
    available: true,
    summary: 'promptSize moves the choice most',
    policyKind: 'linucb',
    taskType: 'planTask',
    favouredArm: 1,
    baselineArm: 0,
    features: [{ name: 'promptSize', spread: 0.3, favoured: 0.2, baseline: -0.1 }],
  },
  recentDecisions: {
    rows: [
      {
        seq: 7,
        requestId: 'r-7',
        timestamp: 1_767_600_000_000,
        taskType: 'planTask',
        phase: 'canary',
        servedBy: 'baseline',
        armIndex: 0,
        armId: 'base',
        propensity: 0.7,
        reward: 0.5,
        quality: 0.6,
        latencyMs: 1800,
        tokens: 950,
        verdict: 'accept',
        defaulted: false,
        error: false,
      },
    ],
    nextBefore: null,
  },
  explainDecision: { found: false, requestId: 'r-404' },
  history: {
    entries: [{ kind: 'rollout', seq: 3, timestamp: 1_767_427_200_000, event: 'promote', from: 'shadow', to: 'canary', status: 'running', actor: 'auto', reason: 'promotion gate passed' }],
    nextBefore: null,
  },
  runCommand: { command: 'paramloop.showLog', done: true },
};
