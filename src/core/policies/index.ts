import { z } from 'zod';
import { BaselinePolicy } from './baseline';
import { EpsilonGreedyPolicy } from './epsilonGreedy';
import type { JointFeatureMap } from './featureMap';
import { LinUcbPolicy } from './linucb';
import type { Policy } from './policy';
import { ThompsonPolicy } from './thompson';

export type { Policy, PolicyChoice, PolicyKind, PolicySnapshot } from './policy';
export { policyKinds } from './policy';
export { disjointFeatureMap, sharedFeatureMap, type FeatureMapKind, type JointFeatureMap } from './featureMap';

const positive = z.number().positive().finite();
const share = z.number().min(0).max(1);

const ridgeSchema = z
  .object({
    lambda: positive.default(1),
    forgetting: z.number().gt(0).max(1).default(1),
    refactorEvery: z.number().int().positive().default(512),
  })
  .strict();

/** Settings of every policy, validated; the defaults are the ones the product ships with. */
export const policySettingsSchema = z
  .object({
    featureMap: z.enum(['disjoint', 'shared']).default('shared'),
    ridge: ridgeSchema.default({ lambda: 1, forgetting: 1, refactorEvery: 512 }),
    thompson: z
      .object({
        noiseVariance: z.union([positive, z.literal('auto')]).default('auto'),
        noisePriorVariance: positive.default(0.25),
        noisePriorWeight: positive.default(2),
        explorationScale: positive.default(1),
        floor: share.default(0.01),
        monteCarloDraws: z.number().int().min(16).max(1_000_000).default(1024),
      })
      .strict()
      .default({ noiseVariance: 'auto', noisePriorVariance: 0.25, noisePriorWeight: 2, explorationScale: 1, floor: 0.01, monteCarloDraws: 1024 }),
    linucb: z
      .object({
        alpha: z.number().min(0).finite().default(0.5),
        exploration: z
          .discriminatedUnion('kind', [
            z.object({ kind: z.literal('epsilon'), epsilon: share }).strict(),
            z.object({ kind: z.literal('softmax'), temperature: positive }).strict(),
          ])
          .default({ kind: 'epsilon', epsilon: 0.01 }),
      })
      .strict()
      .default({ alpha: 0.5, exploration: { kind: 'epsilon', epsilon: 0.01 } }),
    epsilon: z.object({ epsilon: share.default(0.1) }).strict().default({ epsilon: 0.1 }),
    baseline: z.object({ exploration: share.default(0.05) }).strict().default({ exploration: 0.05 }),
  })
  .strict();
export type PolicySettings = z.infer<typeof policySettingsSchema>;

/** Parses policy settings (all fields optional), throwing an error that names the bad field. */
export function parsePolicySettings(raw: unknown): PolicySettings {
  const result = policySettingsSchema.safeParse(raw ?? {});
  if (!result.success) {
    const first = result.error.issues[0];
    throw new Error(`policy settings: ${first ? `${first.path.join('.') || '(root)'}: ${first.message}` : 'invalid'}`);
  }
  return result.data;
}

/** What the baseline policy needs to know about the space. */
export interface BaselineSpec {
  baselineArm: number;
  trustRegionArms: readonly number[];
}

/** Builds a policy of the given kind over a feature map. */
export function createPolicy(kind: Policy['kind'], map: JointFeatureMap, settings: PolicySettings, baseline: BaselineSpec, priorMean?: ArrayLike<number>): Policy {
  const ridge = { ...settings.ridge, keepCholesky: false };
  switch (kind) {
    case 'thompson':
      return new ThompsonPolicy(map, { ridge, ...settings.thompson, ...(priorMean ? { priorMean } : {}) });
    case 'linucb':
      return new LinUcbPolicy(map, { ridge, ...settings.linucb, ...(priorMean ? { priorMean } : {}) });
    case 'epsilon':
      return new EpsilonGreedyPolicy(map, { ridge, epsilon: settings.epsilon.epsilon, ...(priorMean ? { priorMean } : {}) });
    case 'baseline':
      return new BaselinePolicy({
        armCount: map.armCount,
        contextDim: map.contextDim,
        baselineArm: baseline.baselineArm,
        exploration: settings.baseline.exploration,
        explorationArms: baseline.trustRegionArms,
      });
  }
}
