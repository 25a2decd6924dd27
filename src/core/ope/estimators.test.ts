import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildEstimatorTerms, defaultEstimatorParams, drosShrunkWeight, estimatorDefinitions, estimatorNames, weightDiagnostics, type EstimatorName, type EstimatorParams } from './estimators';
import type { LoggedRounds } from './loggedRounds';
import { validateLoggedRounds } from './loggedRounds';
import { pointEstimates } from './termTable';

/*
 * Four rounds, K = 2, worked by hand.
 *
 *   round  a  r  pscore  π_e        q̂          w = π_e(a)/p   q̂(π_e)               r − q̂(a)
 *   1      0  1  0.5     [0.8 0.2]  [0.6 0.3]  0.8/0.5 = 1.6  0.48+0.06 = 0.54     0.4
 *   2      1  0  0.25    [0.5 0.5]  [0.4 0.2]  0.5/0.25 = 2   0.20+0.10 = 0.30    −0.2
 *   3      0  0  0.8     [0   1  ]  [0.5 0.7]  0/0.8 = 0      0.7                 −0.5
 *   4      1  1  0.5     [0   1  ]  [0.1 0.9]  1/0.5 = 2      0.9                  0.1
 *
 *   Σw = 5.6, Σw² = 2.56+4+0+4 = 10.56, ESS = 5.6²/10.56 = 31.36/10.56, max w = 2, zero share 1/4
 *   Σ r·w = 1.6 + 2 = 3.6                  IPS   = 3.6/4 = 0.9
 *   clip 1.8: Σ r·min(w,1.8) = 1.6 + 1.8     IPS   = 3.4/4 = 0.85
 *   SNIPS = 3.6/5.6
 *   Σ q̂(π_e) = 0.54+0.30+0.7+0.9 = 2.44     DM    = 0.61
 *   Σ w(r − q̂(a)) = 0.64 − 0.4 + 0 + 0.2 = 0.44
 *                                           DR    = (2.44 + 0.44)/4 = 0.72
 *   clip 1.8: 0.64 − 0.36 + 0 + 0.18 = 0.46  DR    = (2.44 + 0.46)/4 = 0.725
 *   SNDR = 0.61 + 0.44/5.6
 *   SwitchDR τ = 1.8 keeps rounds 1 and 3 (w ≤ 1.8): (2.44 + 0.64)/4 = 0.77; τ = ∞: DR = 0.72
 *   DRos λ = 4: ŵ = 4w/(w²+4) = 6.4/6.56 = 40/41, 1, 0, 1
 *              Σ ŵ(r − q̂(a)) = 16/41 − 0.2 + 0.1 = 119/410      DRos = (2.44 + 119/410)/4
 *   DRos λ = 0: DM = 0.61;  λ = ∞: DR = 0.72
 */
const handRounds: LoggedRounds = {
  n: 4,
  k: 2,
  actions: Int32Array.from([0, 1, 0, 1]),
  rewards: Float64Array.from([1, 0, 0, 1]),
  pscores: Float64Array.from([0.5, 0.25, 0.8, 0.5]),
  actionDist: Float64Array.from([0.8, 0.2, 0.5, 0.5, 0, 1, 0, 1]),
  estimatedRewards: Float64Array.from([0.6, 0.3, 0.4, 0.2, 0.5, 0.7, 0.1, 0.9]),
};

function estimate(name: EstimatorName, params: Partial<EstimatorParams> = {}): number {
  const table = buildEstimatorTerms(handRounds, { ...defaultEstimatorParams, ...params });
  return pointEstimates(table, [estimatorDefinitions[name]])[0] ?? Number.NaN;
}

function near(actual: number, expected: number, tolerance = 1e-12): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `expected ${expected}, got ${actual}`);
}

test('the hand case is valid logged data', () => {
  assert.equal(validateLoggedRounds(handRounds), undefined);
});

test('IPS is the mean of r·w: 3.6/4 = 0.9, and 0.85 with weights clipped at 1.8', () => {
  near(estimate('ips'), 0.9);
  near(estimate('ips', { clip: 1.8 }), 0.85);
});

test('SNIPS is Σr·w / Σw = 3.6/5.6, and clipping does not touch it (as in OBP)', () => {
  near(estimate('snips'), 3.6 / 5.6);
  near(estimate('snips', { clip: 1.8 }), 3.6 / 5.6);
});

test('DM is the mean over rounds of the π_e-weighted predictions: 2.44/4 = 0.61', () => {
  near(estimate('dm'), 0.61);
});

test('DR adds the weighted residual: (2.44 + 0.44)/4 = 0.72, and 0.725 with weights clipped at 1.8', () => {
  near(estimate('dr'), 0.72);
  near(estimate('dr', { clip: 1.8 }), 0.725);
});

test('SNDR divides the residual sum by Σw: 0.61 + 0.44/5.6, unclipped even when a clip is given', () => {
  near(estimate('sndr'), 0.61 + 0.44 / 5.6);
  near(estimate('sndr', { clip: 1.8 }), 0.61 + 0.44 / 5.6);
});

test('SwitchDR keeps the correction where w ≤ τ: 0.77 at τ = 1.8, DR (0.72) at τ = ∞, and τ = 2 keeps w = 2', () => {
  near(estimate('switch_dr', { switchTau: 1.8 }), 0.77);
  near(estimate('switch_dr'), 0.72);
  near(estimate('switch_dr', { switchTau: 2 }), 0.72);
  near(estimate('switch_dr', { switchTau: 0 }), 0.61);
});

test('DRos shrinks w to λw/(w²+λ): (2.44 + 119/410)/4 at λ = 4, DM at λ = 0, DR at λ = ∞', () => {
  near(estimate('dros', { drosLambda: 4 }), (2.44 + 119 / 410) / 4);
  near(estimate('dros'), 0.61);
  near(estimate('dros', { drosLambda: Number.POSITIVE_INFINITY }), 0.72);
  near(drosShrunkWeight(1.6, 4), 40 / 41);
  assert.equal(drosShrunkWeight(0, 0), 0);
});

test('the clip applies to IPS and DR only: the other estimators are unchanged by --clip 1.8', () => {
  for (const name of estimatorNames) {
    if (name === 'ips' || name === 'dr') continue;
    near(estimate(name, { clip: 1.8 }), estimate(name));
  }
});

test('weight diagnostics: ESS = 31.36/10.56, max weight 2, mean 1.4, one round in four with weight 0', () => {
  const diagnostics = weightDiagnostics(handRounds);
  near(diagnostics.effectiveSampleSize, 31.36 / 10.56);
  assert.equal(diagnostics.maxWeight, 2);
  near(diagnostics.meanWeight, 1.4);
  assert.equal(diagnostics.zeroWeightShare, 0.25);
});

test('ESS counts equally weighted rounds (three at w = 1, one at 0 → 3); with every weight 0, ESS is 0 and SNIPS NaN', () => {
  const uniform: LoggedRounds = { ...handRounds, pscores: Float64Array.from([0.8, 0.5, 1, 1]) };
  // weights: 0.8/0.8 = 1, 0.5/0.5 = 1, 0/1 = 0, 1/1 = 1 → three equal weights and one 0: ESS = 9/3 = 3
  near(weightDiagnostics(uniform).effectiveSampleSize, 3);
  const blind: LoggedRounds = { ...handRounds, actionDist: Float64Array.from([0, 1, 1, 0, 0, 1, 1, 0]) };
  assert.equal(weightDiagnostics(blind).effectiveSampleSize, 0);
  assert.ok(Number.isNaN(pointEstimates(buildEstimatorTerms(blind), [estimatorDefinitions.snips])[0] ?? 0));
});

test('DM divides by Σ_a π_e as numpy.average does, when the distribution is off 1 by less than 1e-6', () => {
  // Row [0.5, 0.5000004] with q̂ [0.2, 0.4]: (0.1 + 0.20000016)/1.0000004, not the plain sum 0.30000016.
  const rounds: LoggedRounds = {
    n: 1,
    k: 2,
    actions: Int32Array.from([0]),
    rewards: Float64Array.from([0]),
    pscores: Float64Array.from([1]),
    actionDist: Float64Array.from([0.5, 0.5000004]),
    estimatedRewards: Float64Array.from([0.2, 0.4]),
  };
  near(pointEstimates(buildEstimatorTerms(rounds), [estimatorDefinitions.dm])[0] ?? 0, 0.30000016 / 1.0000004, 1e-15);
});
