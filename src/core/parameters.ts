/**
 * The LLM parameters an arm can set, each declared once: its name, its value's schema as settings
 * give it and as a logged record carries it, its bounds and its role in a parameter space. The
 * `ArmParameters` type, the space's zod schema, the schema records are validated with (import,
 * JSONL), the list of names (honoured and dropped parameters), the CSV columns, the DSJSON arm
 * features and the action features (features.ts) are all derived from `definitions` below.
 *
 * Adding a parameter is one entry in `definitions`, plus what genuinely needs new behaviour:
 * - space.ts: its grid axis (`spaceSettingsSchema.grid`; buildSpace reads the grid by every numeric
 *   parameter, so the compiler names a missing one) and, for a categorical one, its axis in
 *   buildSpace; its trust-region width (`trustRegion`, `isInsideTrustRegion`,
 *   `scaleTrustRegion`); its letter in `armId`;
 * - the providers (src/llm): its wire name (`wireNames` in modelConstraints.ts), which providers and
 *   models honour it (the constraint table there), and the request bodies that pass it on.
 * The numeric grid axes (hence the order of the arms), the action-feature columns, the CSV columns
 * and the DSJSON features follow the declaration order; arm ids have their own (`armId`).
 */
import { z } from 'zod';

/** Reasoning effort levels, lowest first (the trust region counts steps along this order). */
export const reasoningEfforts = ['minimal', 'low', 'medium', 'high'] as const;
export type ReasoningEffort = (typeof reasoningEfforts)[number];

/** The closed range of a numeric parameter: what any provider accepts, so every space stays inside it. */
export interface ParameterBounds {
  readonly min: number;
  readonly max: number;
}

/**
 * A numeric parameter: bounded, a grid axis (a list or a range of values), and an action feature
 * centred on the baseline's value (with its square).
 */
interface NumericDefinition {
  readonly role: 'numeric';
  readonly bounds: ParameterBounds;
  readonly integer: boolean;
  /**
   * How two values compare: by their difference, or by their ratio (`log`, for parameters whose
   * useful values span orders of magnitude: the action feature is a log2 ratio to the baseline's).
   */
  readonly scale: 'linear' | 'log';
  readonly setting: z.ZodNumber;
  readonly record: z.ZodNumber;
}

/**
 * A categorical parameter is a grid axis of listed values, with one-hot action features; a shared
 * one is no axis: every arm takes the baseline's value, and it is no feature.
 */
interface OtherDefinition<SettingSchema extends z.ZodType, RecordSchema extends z.ZodType> {
  readonly role: 'categorical' | 'shared';
  readonly setting: SettingSchema;
  readonly record: RecordSchema;
}

function numeric(bounds: ParameterBounds, options: { integer?: boolean; scale?: 'linear' | 'log' } = {}): NumericDefinition {
  const integer = options.integer ?? false;
  const { min, max } = bounds;
  const message = `must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], the bounds of every parameter space`;
  return {
    role: 'numeric',
    bounds,
    integer,
    scale: options.scale ?? 'linear',
    // Settings are checked against the bounds by buildSpace, whose message names the setting.
    setting: integer ? z.number().int() : z.number().finite(),
    record: (integer ? z.number().int({ message }) : z.number().finite()).min(min, { message }).max(max, { message }),
  };
}

function categorical<SettingSchema extends z.ZodType, RecordSchema extends z.ZodType>(setting: SettingSchema, record: RecordSchema): OtherDefinition<SettingSchema, RecordSchema> & { readonly role: 'categorical' } {
  return { role: 'categorical', setting, record };
}

function shared<SettingSchema extends z.ZodType, RecordSchema extends z.ZodType>(setting: SettingSchema, record: RecordSchema): OtherDefinition<SettingSchema, RecordSchema> & { readonly role: 'shared' } {
  return { role: 'shared', setting, record };
}

// A record holds what was sent: stop sequences and model names are checked for their type only, not
// against the limits a setting must respect.
const definitions = {
  temperature: numeric({ min: 0, max: 2 }),
  topP: numeric({ min: 0.01, max: 1 }),
  topK: numeric({ min: 1, max: 1000 }, { integer: true, scale: 'log' }),
  maxTokens: numeric({ min: 16, max: 200_000 }, { integer: true, scale: 'log' }),
  frequencyPenalty: numeric({ min: -2, max: 2 }),
  presencePenalty: numeric({ min: -2, max: 2 }),
  seed: shared(z.number().int(), z.number().int()),
  stop: shared(z.array(z.string().min(1)).max(4), z.array(z.string())),
  model: categorical(z.string().min(1), z.string()),
  reasoningEffort: categorical(z.enum(reasoningEfforts), z.enum(reasoningEfforts)),
};
type Definitions = typeof definitions;

/** The definition of every parameter, by name. */
export const parameterDefinitions: Readonly<Definitions> = definitions;

/** The name of a parameter, e.g. `maxTokens`. */
export type ParameterName = keyof Definitions;

/** A point on the LLM parameter surface. Absent fields are left to the provider's default. */
export type ArmParameters = { [Name in ParameterName]?: z.output<Definitions[Name]['setting']> };

/** Every parameter name, in declaration order. */
export const parameterNames = Object.keys(definitions) as readonly ParameterName[];

/** A parameter with bounds, a numeric grid axis and a centred action feature. */
export type NumericParameter = { [Name in ParameterName]: Definitions[Name]['role'] extends 'numeric' ? Name : never }[ParameterName];
/** A parameter whose grid axis lists values, with one-hot action features. */
export type CategoricalParameter = { [Name in ParameterName]: Definitions[Name]['role'] extends 'categorical' ? Name : never }[ParameterName];

/** The numeric parameters, in declaration order. */
export const numericParameters = parameterNames.filter((name): name is NumericParameter => definitions[name].role === 'numeric');
/** The categorical parameters, in declaration order. */
export const categoricalParameters = parameterNames.filter((name): name is CategoricalParameter => definitions[name].role === 'categorical');
/** The parameters whose value is a list (stop sequences), in declaration order. */
export const listParameters = parameterNames.filter((name) => definitions[name].setting instanceof z.ZodArray);

/** Hard bounds of each numeric parameter: what any provider accepts. */
export const parameterBounds = Object.fromEntries(numericParameters.map((name) => [name, definitions[name].bounds])) as Readonly<Record<NumericParameter, ParameterBounds>>;

type SettingShape = { [Name in ParameterName]: z.ZodOptional<Definitions[Name]['setting']> };
type RecordShape = { [Name in ParameterName]: z.ZodOptional<Definitions[Name]['record']> };

/** An arm's parameters as settings give them (the space's baseline); unknown fields are errors. */
export const armParametersSchema = z.object(Object.fromEntries(parameterNames.map((name) => [name, definitions[name].setting.optional()])) as SettingShape).strict();

/**
 * An arm's parameters as a logged record carries them (JSONL import): every numeric parameter
 * inside the bounds every space respects; unknown fields are errors.
 */
export const recordedArmParametersSchema = z.strictObject(Object.fromEntries(parameterNames.map((name) => [name, definitions[name].record.optional()])) as RecordShape);
