/**
 * The learner's settings as a user writes them (`paramloop.baseline`, `paramloop.space`,
 * `paramloop.policy`, `paramloop.reward`, `paramloop.rollout`, `paramloop.budget`) turned into the
 * service's settings. Each section is checked on its own: a section that fails is named, with the
 * field and the reason, and replaced by its default alone; the other sections keep their values.
 * Without `vscode`: the extension reads the raw values, the CLI could pass the same objects.
 */
import { z } from 'zod';
import { policyKinds, parsePolicySettings, type PolicyKind } from '../core/policies';
import { parseRewardSettings } from '../core/reward';
import { budgetConfigSchema, type BudgetConfigInput } from '../core/safety/budget';
import { rolloutConfigSchema, type RolloutConfigInput } from '../core/safety/rollout';
import { buildSpace, spaceSettingsSchema, type ParameterSpace } from '../core/space';
import { armParametersSchema } from '../core/parameters';
import type { ServiceSettings } from './optimizerService';
import { describeIssues } from './protocol';

/** The raw values of the learner's settings (undefined: not set). */
export interface LearnerSettingsInput {
  baseline?: unknown;
  space?: unknown;
  policy?: unknown;
  reward?: unknown;
  rollout?: unknown;
  budget?: unknown;
}

export interface LearnerSettingsRead {
  settings: ServiceSettings;
  /** One line per section that was replaced by its default, naming the setting, the field and why. */
  problems: string[];
}

const policySchema = z.strictObject({ kind: z.enum(policyKinds).default('thompson'), settings: z.unknown().optional() });

/** Parses the learner's settings, section by section, into the service's settings. */
export function readLearnerSettings(input: LearnerSettingsInput): LearnerSettingsRead {
  const problems: string[] = [];
  const section = <T>(name: string, parse: () => T, fallback: () => T): T => {
    try {
      return parse();
    } catch (error) {
      const raw = error instanceof z.ZodError ? describeIssues(error) : error instanceof Error ? error.message : String(error);
      // The core's messages name the field from its own root (`paramloop.space.baseline.temperature`): named here from the setting's.
      const reason = raw.replace(/^paramloop\.(?:space\.baseline|[a-z]+)\./, '');
      problems.push(`paramloop.${name}: ${reason}; using the default ${name} instead`);
      return fallback();
    }
  };
  const parsedBaseline = section(
    'baseline',
    () => (input.baseline === undefined || input.baseline === null ? undefined : armParametersSchema.parse(input.baseline)),
    () => undefined,
  );
  // A baseline the space cannot be built around (outside the bounds) is the baseline's problem, not the space's.
  const baseline = parsedBaseline && section('baseline', () => (buildSpace({ baseline: parsedBaseline }), parsedBaseline), () => undefined);
  const space: ParameterSpace = section(
    'space',
    () => buildSpace({ ...spaceSettingsSchema.partial().parse(input.space ?? {}), ...(baseline ? { baseline } : {}) }),
    () => buildSpace(baseline ? { baseline } : {}),
  );
  const policy = section('policy', () => {
    const p = policySchema.parse(input.policy ?? {});
    return { kind: p.kind as PolicyKind, settings: parsePolicySettings(p.settings ?? {}) };
  }, () => ({ kind: 'thompson' as PolicyKind, settings: parsePolicySettings({}) }));
  const rewardSettings = section('reward', () => parseRewardSettings(input.reward ?? {}), () => parseRewardSettings({}));
  const rollout = section('rollout', () => {
    rolloutConfigSchema.parse(input.rollout ?? {});
    return (input.rollout ?? {}) as RolloutConfigInput;
  }, () => ({}));
  const budget = section('budget', () => {
    budgetConfigSchema.parse(input.budget ?? {});
    return (input.budget ?? {}) as BudgetConfigInput;
  }, () => ({}));
  return {
    settings: { space, policyKind: policy.kind, policySettings: policy.settings, rewardSettings, guarded: { rollout, budget } },
    problems,
  };
}
