// The gate's evidence (issue 10, items 1, 3 and 5): a candidate frozen at a time split and scored on
// rows it never learned from, against the baseline arm (not the exploring baseline's traffic), under
// each row's eligibility mask. Worlds small enough that every value is known.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { disjointFeatureMap } from '../policies';
import { BaselinePolicy } from '../policies/baseline';
import type { Policy, PolicySnapshot } from '../policies';
import { createRng, sampleIndex } from '../math/random';
import { evaluationStart, frozenCandidateEvidence, type PhaseRow } from './promotionEvidence';

// Three arms; the baseline arm is 0. The logger is the baseline with 30% exploration over arms 1 and 2:
// μ = (0.7, 0.15, 0.15). Rewards are context-free: mean 0.8 on arm 0, 0.75 on arm 1, 0.2 on arm 2.
const mu = [0.7, 0.15, 0.15];
const means = [0.8, 0.75, 0.2];
const map = disjointFeatureMap(3, 1);
const everyArm = Uint8Array.of(1, 1, 1);

function loggedRows(n: number, seed: number, perSession = 3): PhaseRow[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, (_, i) => {
    const a = sampleIndex(mu, rng.next());
    const reward = means[a]! + 0.1 * rng.normal();
    return { context: [0], armIndex: a, propensity: mu[a]!, loggingProbabilities: mu, reward, quality: reward, servedBy: 'baseline', taskType: 'planTask', sessionKey: `s${Math.floor(i / perSession)}` };
  });
}

/** A fixed candidate: arm 1 with probability 0.9, arm 0 with 0.1 (true value 0.755). */
function fixedCandidate(): Policy {
  return new BaselinePolicy({ armCount: 3, contextDim: 1, baselineArm: 1, exploration: 0.1, explorationArms: [0] });
}

const options = (copyPolicy: (s: PolicySnapshot) => Policy, level = 0.05) => ({
  phaseStart: fixedCandidate().snapshot(),
  copyPolicy,
  featureMap: map,
  trustMask: everyArm,
  baselineArm: 0,
  rng: createRng(1),
  level,
  qualityLevel: 0.05,
});

test('the candidate is compared with the baseline arm (0.8), not with the exploring baseline\'s own traffic (0.7·0.8 + 0.15·0.75 + 0.15·0.2 = 0.7025): a candidate worth 0.755 is below the first and above the second', () => {
  const trafficMean: number[] = [];
  const differences: number[] = [];
  for (let seed = 1; seed <= 40; seed++) {
    const rows = loggedRows(600, seed);
    const e = frozenCandidateEvidence(rows, { ...options(() => fixedCandidate()), trainFraction: 0.5 });
    differences.push(e.value.difference.estimate);
    const scored = rows.slice(e.value.trainedOn);
    trafficMean.push(scored.reduce((s, r) => s + r.reward, 0) / scored.length);
    // One-sided 5%: the bound of a candidate 0.045 worse than the arm stays below zero.
    assert.ok(e.value.difference.lower < 0, `seed ${seed}: lower bound ${e.value.difference.lower}`);
  }
  const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
  // The true difference is 0.755 − 0.8 = −0.045; the traffic the old check compared with averaged 0.7025.
  assert.ok(Math.abs(mean(differences) - -0.045) < 0.01, `mean difference ${mean(differences)}`);
  assert.ok(Math.abs(mean(trafficMean) - 0.7025) < 0.01, `traffic mean ${mean(trafficMean)}`);
  assert.ok(0.755 > mean(trafficMean), 'against the traffic the candidate would have looked better');
});

test('the candidate learns only from the rows before the split, which falls on a session boundary, and is scored only on the rows after it', () => {
  const rows = loggedRows(100, 3, 4);
  // Half of 100 is 50, inside session s12 (rows 48–51): the split moves to 52.
  assert.equal(evaluationStart(rows, 0.5, 1000), 52);
  // At most 30 scored rows: the split moves to 70, then to the session boundary at 72.
  assert.equal(evaluationStart(rows, 0.5, 30), 72);
  let updates = 0;
  const counting = (snapshot: PolicySnapshot): Policy => {
    const p = fixedCandidate();
    p.restore(snapshot);
    const update = p.update.bind(p);
    p.update = (x, a, r) => {
      updates++;
      update(x, a, r);
    };
    return p;
  };
  const e = frozenCandidateEvidence(rows, { ...options(counting), trainFraction: 0.5 });
  assert.equal(updates, 52);
  assert.equal(e.value.trainedOn, 52);
  assert.equal(e.value.evaluatedOn, 48);
  assert.equal(e.value.sessions, 12);
  assert.equal(e.candidateVersion, 52);
});

test('each row\'s eligibility mask applies to the candidate: with arm 1 over budget on every other row, no candidate mass falls off the log\'s support (it was 0.45 without the masks)', () => {
  const rows = loggedRows(400, 5).map((row, i) => {
    if (i % 2 === 0) return row;
    // Over budget: the logger could serve arms 0 and 2 only, μ = (0.85, 0, 0.15).
    const logging = [0.85, 0, 0.15];
    const a = row.armIndex === 1 ? 0 : row.armIndex;
    return { ...row, armIndex: a, propensity: logging[a]!, loggingProbabilities: logging, reward: means[a]!, eligible: Uint8Array.of(1, 0, 1) };
  });
  const masked = frozenCandidateEvidence(rows, options(() => fixedCandidate()));
  assert.equal(masked.candidateMassOffSupport, 0);
  const unmasked = frozenCandidateEvidence(
    rows.map(({ eligible: _e, ...row }) => row),
    options(() => fixedCandidate()),
  );
  assert.ok(Math.abs(unmasked.candidateMassOffSupport - 0.45) < 0.03, String(unmasked.candidateMassOffSupport));
});

test('with fewer than two rows to score there is no evidence: the bounds are −∞ and nothing can pass', () => {
  const e = frozenCandidateEvidence(loggedRows(2, 1, 1), options(() => fixedCandidate()));
  assert.equal(e.value.evaluatedOn, 1);
  assert.equal(e.value.difference.lower, Number.NEGATIVE_INFINITY);
  assert.equal(e.effectiveSampleSize, 0);
});
