/**
 * The parameter space (ARCHITECTURE.md §"Where each part lives", space.ts): the arms the optimizer chooses among, the baseline arm,
 * the trust region around it. Defined by settings, validated by zod; every error names the setting at
 * fault. What a provider or model honours is the provider's to say (src/llm/modelConstraints.ts).
 */
import { z } from 'zod';
import { armParametersSchema, numericParameters, parameterBounds, parameterDefinitions } from './parameters';
import { reasoningEfforts, type Arm, type ArmParameters, type ParameterName } from './types';

export { parameterBounds };

/** A list of values, or an evenly spaced range (`log`: evenly spaced in log scale). */
const numericAxis = z.union([
  z.array(z.number().finite()).min(1),
  z.object({ min: z.number().finite(), max: z.number().finite(), count: z.number().int().min(1).max(64), log: z.boolean().default(false) }).strict(),
]);
type NumericAxis = z.infer<typeof numericAxis>;

/** The settings that define a parameter space (the `paramloop.space` setting). */
export const spaceSettingsSchema = z
  .object({
    baseline: armParametersSchema.default({ temperature: 0.2, topP: 1, maxTokens: 2048 }),
    grid: z
      .object({
        temperature: numericAxis.optional(),
        topP: numericAxis.optional(),
        topK: numericAxis.optional(),
        maxTokens: numericAxis.optional(),
        frequencyPenalty: numericAxis.optional(),
        presencePenalty: numericAxis.optional(),
        model: z.array(z.string().min(1)).min(1).optional(),
        reasoningEffort: z.array(z.enum(reasoningEfforts)).min(1).optional(),
      })
      .strict()
      .default({ temperature: [0, 0.2, 0.4, 0.7], topP: [0.9, 1], maxTokens: [1024, 2048, 4096] }),
    trustRegion: z
      .object({
        temperature: z.number().min(0).default(0.2),
        topP: z.number().min(0).default(0.1),
        topK: z.number().min(1).default(2),
        maxTokensFactor: z.number().min(1).default(2),
        frequencyPenalty: z.number().min(0).default(0.5),
        presencePenalty: z.number().min(0).default(0.5),
        allowModelChange: z.boolean().default(false),
        reasoningEffortSteps: z.number().int().min(0).default(1),
      })
      .strict()
      .default({ temperature: 0.2, topP: 0.1, topK: 2, maxTokensFactor: 2, frequencyPenalty: 0.5, presencePenalty: 0.5, allowModelChange: false, reasoningEffortSteps: 1 }),
    maxArms: z.number().int().min(1).max(4096).default(256),
  })
  .strict();
export type SpaceSettings = z.infer<typeof spaceSettingsSchema>;
export type TrustRegion = SpaceSettings['trustRegion'];

/** A validated parameter space. */
export interface ParameterSpace {
  arms: Arm[];
  baselineArm: number;
  trustRegion: TrustRegion;
  /** Indices of the arms inside the trust region (the baseline among them). */
  trustRegionArms: number[];
}

/** Raised for settings that define an empty, contradictory or out-of-bounds space. */
export class SpaceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SpaceError';
  }
}

/** Validates settings and builds the space: the Cartesian grid plus the baseline arm. */
export function buildSpace(raw: unknown): ParameterSpace {
  const parsed = spaceSettingsSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SpaceError(`paramloop.space.${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  const settings = parsed.data;
  const baseline = settings.baseline;
  for (const name of numericParameters) {
    const value = baseline[name];
    if (value === undefined) continue;
    const { min, max } = parameterBounds[name];
    if (value < min || value > max) throw new SpaceError(`paramloop.space.baseline.${name}: ${value} is outside the bounds [${min}, ${max}]`);
  }

  // Axes: the grid's values, else the baseline's single value (or "unset").
  const axes: Array<{ name: ParameterName; values: unknown[] }> = [];
  for (const name of numericParameters) {
    const axis = settings.grid[name];
    if (axis === undefined) {
      axes.push({ name, values: [baseline[name]] });
      continue;
    }
    const values = expandAxis(axis, name);
    const { min, max } = parameterBounds[name];
    for (const v of values) {
      if (v < min || v > max) throw new SpaceError(`paramloop.space.grid.${name}: ${v} is outside the bounds [${min}, ${max}]`);
    }
    axes.push({ name, values: dedupe(values.map((v) => (parameterDefinitions[name].integer ? Math.round(v) : v))) });
  }
  axes.push({ name: 'model', values: settings.grid.model ? dedupe(settings.grid.model) : [baseline.model] });
  axes.push({ name: 'reasoningEffort', values: settings.grid.reasoningEffort ? dedupe(settings.grid.reasoningEffort) : [baseline.reasoningEffort] });

  const count = axes.reduce((n, axis) => n * axis.values.length, 1);
  if (count > settings.maxArms) throw new SpaceError(`paramloop.space.grid: ${count} arms exceed paramloop.space.maxArms (${settings.maxArms}); use fewer grid values`);

  const points: ArmParameters[] = [];
  const visit = (i: number, current: ArmParameters): void => {
    if (i === axes.length) {
      points.push({ ...current });
      return;
    }
    const axis = axes[i]!;
    for (const value of axis.values) {
      const next: ArmParameters = { ...current };
      if (value !== undefined) (next as Record<string, unknown>)[axis.name] = value;
      visit(i + 1, next);
    }
  };
  visit(0, {});
  // Parameters every arm shares (seed, stop) come from the baseline.
  for (const p of points) {
    if (baseline.seed !== undefined) p.seed = baseline.seed;
    if (baseline.stop !== undefined) p.stop = [...baseline.stop];
  }

  const baselineKey = armKey(baseline);
  let baselineArm = points.findIndex((p) => armKey(p) === baselineKey);
  if (baselineArm < 0) {
    points.unshift({ ...baseline });
    baselineArm = 0;
  }
  if (points.length === 0) throw new SpaceError('paramloop.space: the settings define no arm');
  const arms = points.map((params, index) => ({ id: armId(params), index, params }));
  const space: ParameterSpace = { arms, baselineArm, trustRegion: settings.trustRegion, trustRegionArms: [] };
  space.trustRegionArms = arms.filter((arm) => isInsideTrustRegion(space, arm.params)).map((arm) => arm.index);
  return space;
}

function expandAxis(axis: NumericAxis, name: string): number[] {
  if (Array.isArray(axis)) return [...axis].sort((a, b) => a - b);
  const { min, max, count, log } = axis;
  if (min > max) throw new SpaceError(`paramloop.space.grid.${name}: min ${min} is greater than max ${max}`);
  if (log && min <= 0) throw new SpaceError(`paramloop.space.grid.${name}: a log-spaced axis needs min > 0`);
  if (count === 1) return [min];
  return Array.from({ length: count }, (_, i) => {
    const f = i / (count - 1);
    return log ? Math.exp(Math.log(min) + f * (Math.log(max) - Math.log(min))) : min + f * (max - min);
  });
}

function dedupe<T>(values: T[]): T[] {
  return [...new Set(values)];
}

/** A stable, readable identifier of an arm's parameters, e.g. "t0.2-p1-m2048". */
export function armId(params: ArmParameters): string {
  const parts: string[] = [];
  if (params.model !== undefined) parts.push(params.model);
  if (params.temperature !== undefined) parts.push(`t${round(params.temperature)}`);
  if (params.topP !== undefined) parts.push(`p${round(params.topP)}`);
  if (params.topK !== undefined) parts.push(`k${params.topK}`);
  if (params.maxTokens !== undefined) parts.push(`m${params.maxTokens}`);
  if (params.frequencyPenalty !== undefined) parts.push(`f${round(params.frequencyPenalty)}`);
  if (params.presencePenalty !== undefined) parts.push(`r${round(params.presencePenalty)}`);
  if (params.reasoningEffort !== undefined) parts.push(`e-${params.reasoningEffort}`);
  return parts.length > 0 ? parts.join('-') : 'provider-defaults';
}

function round(v: number): number {
  return Math.round(v * 1e4) / 1e4;
}

function armKey(params: ArmParameters): string {
  return armId(params);
}

/**
 * Whether parameters lie inside the trust region around the baseline: each numeric parameter within
 * its box (|Δ| ≤ bound, or within a factor for max_tokens and top_k), the model unchanged unless
 * allowed, reasoning effort at most `reasoningEffortSteps` levels away.
 */
export function isInsideTrustRegion(space: Pick<ParameterSpace, 'arms' | 'baselineArm' | 'trustRegion'>, params: ArmParameters, trustRegion: TrustRegion = space.trustRegion): boolean {
  const base = space.arms[space.baselineArm]!.params;
  const within = (value: number | undefined, reference: number | undefined, check: (v: number, r: number) => boolean): boolean =>
    value === undefined || reference === undefined ? value === reference : check(value, reference);
  const eps = 1e-9;
  return (
    within(params.temperature, base.temperature, (v, r) => Math.abs(v - r) <= trustRegion.temperature + eps) &&
    within(params.topP, base.topP, (v, r) => Math.abs(v - r) <= trustRegion.topP + eps) &&
    within(params.topK, base.topK, (v, r) => v <= r * trustRegion.topK + eps && v >= r / trustRegion.topK - eps) &&
    within(params.maxTokens, base.maxTokens, (v, r) => v <= r * trustRegion.maxTokensFactor + eps && v >= r / trustRegion.maxTokensFactor - eps) &&
    within(params.frequencyPenalty, base.frequencyPenalty, (v, r) => Math.abs(v - r) <= trustRegion.frequencyPenalty + eps) &&
    within(params.presencePenalty, base.presencePenalty, (v, r) => Math.abs(v - r) <= trustRegion.presencePenalty + eps) &&
    (trustRegion.allowModelChange || params.model === base.model) &&
    effortDistance(params.reasoningEffort, base.reasoningEffort) <= trustRegion.reasoningEffortSteps
  );
}

function effortDistance(a: ArmParameters['reasoningEffort'], b: ArmParameters['reasoningEffort']): number {
  if (a === b) return 0;
  if (a === undefined || b === undefined) return Infinity;
  return Math.abs(reasoningEfforts.indexOf(a) - reasoningEfforts.indexOf(b));
}

/** A trust region scaled by a factor (> 1 widens, < 1 narrows), as gates and rollout adjust it. */
export function scaleTrustRegion(trustRegion: TrustRegion, factor: number): TrustRegion {
  if (!(factor > 0) || !Number.isFinite(factor)) throw new SpaceError(`trust region scale must be a positive number, got ${factor}`);
  return {
    temperature: trustRegion.temperature * factor,
    topP: trustRegion.topP * factor,
    topK: Math.max(1, trustRegion.topK ** factor),
    maxTokensFactor: Math.max(1, trustRegion.maxTokensFactor ** factor),
    frequencyPenalty: trustRegion.frequencyPenalty * factor,
    presencePenalty: trustRegion.presencePenalty * factor,
    allowModelChange: trustRegion.allowModelChange,
    reasoningEffortSteps: Math.floor(trustRegion.reasoningEffortSteps * factor),
  };
}
