// Synthetic decisions and outcomes for tests and benchmarks: realistic shapes (8 arms, 10 context
// features, mixed phases, some optional fields), drawn from a seeded PRNG so runs are repeatable.
import type { Decision, Outcome, RewardReport, RolloutPhase } from '../../core/types';
import { rolloutPhases } from '../../core/types';

/** mulberry32: a small, fast 32-bit PRNG; enough for test data. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const syntheticArms = 8;
const featureNames = ['bias', 'taskPlanTask', 'taskPlanTests', 'langTs', 'logPromptTokens', 'selectionLines', 'fileLines', 'folder', 'hourSin', 'hourCos'];
const temperatures = [0, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 1.1];

/** The request id of the n-th synthetic decision (1-based), e.g. "req-42". */
export function syntheticRequestId(n: number): string {
  return `req-${n}`;
}

/** One decision with its outcome and reward. */
export interface SyntheticEvent {
  decision: Decision;
  outcome: Outcome;
  reward: RewardReport;
}

/** Decision n is timestamped `syntheticStartMs + n * 1000`. */
export const syntheticStartMs = 1_764_000_000_000;

/** Generates the n-th synthetic event (1-based) with the given PRNG. */
export function syntheticEvent(n: number, random: () => number, startMs = syntheticStartMs): SyntheticEvent {
  const probabilities = Array.from({ length: syntheticArms }, () => 0.05 + random());
  const total = probabilities.reduce((a, b) => a + b, 0);
  for (let i = 0; i < probabilities.length; i++) probabilities[i] = (probabilities[i] ?? 0) / total;
  let u = random();
  let armIndex = syntheticArms - 1;
  for (let i = 0; i < syntheticArms; i++) {
    u -= probabilities[i] ?? 0;
    if (u <= 0) {
      armIndex = i;
      break;
    }
  }
  const phase: RolloutPhase = rolloutPhases[Math.floor(random() * rolloutPhases.length)] ?? 'shadow';
  const timestamp = startMs + n * 1000;
  const contextFeatures = featureNames.map((_, i) => (i === 0 ? 1 : Math.round(random() * 1000) / 100));
  const servedBy = phase === 'shadow' || random() < 0.5 ? 'baseline' : 'learned';
  const decision: Decision = {
    requestId: syntheticRequestId(n),
    timestamp,
    contextFeatures,
    featureNames,
    contextFingerprint: Math.floor(random() * 2 ** 32).toString(16).padStart(8, '0'),
    armIndex,
    armId: `t${temperatures[armIndex] ?? 0}`,
    params: { temperature: temperatures[armIndex] ?? 0, topP: 0.95, maxTokens: 1024 },
    propensity: probabilities[armIndex] ?? 0,
    probabilities,
    policyId: servedBy === 'learned' ? 'thompson' : 'baseline',
    policyVersion: 1 + (n % 3),
    phase,
    servedBy,
    baselineArmIndex: 2,
    honouredParams: ['temperature', 'maxTokens'],
    droppedParams: ['topP'],
  };
  if (phase === 'shadow') {
    // A shadow choice keeps the invariant of every logged choice: its propensity is its arm's probability.
    const shadowArm = (armIndex + 1) % syntheticArms;
    decision.shadow = { armIndex: shadowArm, propensity: probabilities[shadowArm] ?? 0, probabilities };
  }
  const quality = Math.min(1, Math.max(0, 0.8 - 0.3 * Math.abs((temperatures[armIndex] ?? 0) - 0.2) + (random() - 0.5) * 0.2));
  const outcome: Outcome = {
    requestId: decision.requestId,
    timestamp: timestamp + 800,
    latencyMs: 400 + Math.round(random() * 2000),
    timeToFirstTokenMs: 120 + Math.round(random() * 300),
    tokensIn: 300 + Math.round(random() * 2000),
    tokensOut: 100 + Math.round(random() * 800),
    finishReason: random() < 0.9 ? 'stop' : 'length',
    quality,
    verdict: random() < 0.5 ? 'accept' : 'none',
  };
  return { decision, outcome, reward: { reward: quality - outcome.latencyMs / 10_000, violations: [] } };
}

/** The part of a store that `logSynthetic` writes through. */
interface SyntheticSink {
  appendDecision(decision: Decision): unknown;
  appendOutcome(outcome: Outcome, reward: RewardReport): unknown;
  flush(): Promise<unknown>;
}

/** Appends synthetic decisions first..last, each with its outcome (2 events each), and waits until they are durable. */
export async function logSynthetic(store: SyntheticSink, first: number, last: number): Promise<void> {
  const random = seededRandom(first);
  for (let n = first; n <= last; n++) {
    const { decision, outcome, reward } = syntheticEvent(n, random);
    store.appendDecision(decision);
    store.appendOutcome(outcome, reward);
  }
  await store.flush();
}
