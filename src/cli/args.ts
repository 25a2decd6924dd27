// Option parsing shared by the commands: node:util's parseArgs, with negative numbers accepted as
// values (`--rounds -5` is a bad value, reported as such, not a missing one) and one set of rules
// and messages for numeric values.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CliError } from './io';

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/**
 * parseArgs takes `--name -5` for an option without its value followed by an option `-5`, and
 * fails with a message about ambiguity. For options that take a value, a following argument that
 * reads as a negative number (`-5`, `-.2`, `-1e3`, `-inf`) is joined to the option, so the option's
 * own check can say what is wrong with the value.
 */
export function joinNegativeValues(args: readonly string[], options: OptionsConfig): string[] {
  const takesValue = new Set<string>();
  for (const [name, option] of Object.entries(options)) {
    if (option.type !== 'string') continue;
    takesValue.add(`--${name}`);
    if (option.short !== undefined) takesValue.add(`-${option.short}`);
  }
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    const next = args[i + 1];
    if (takesValue.has(arg) && next !== undefined && /^-(\d|\.\d|inf)/i.test(next)) {
      out.push(arg.startsWith('--') ? `${arg}=${next}` : `${arg}${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

/** parseArgs in strict mode over `args`, with negative numbers taken as option values. */
export function parseCommandArgs<const T extends OptionsConfig>(args: readonly string[], options: T, allowPositionals = false): ReturnType<typeof parseArgs<{ args: string[]; options: T; strict: true; allowPositionals: boolean }>> {
  return parseArgs({ args: joinNegativeValues(args, options), options, strict: true, allowPositionals });
}

/** What a numeric option accepts. */
export interface NumberRules {
  /** Smallest accepted value (inclusive unless `exclusiveMin`). */
  readonly min?: number;
  readonly exclusiveMin?: boolean;
  /** Largest accepted value (inclusive unless `exclusiveMax`). */
  readonly max?: number;
  readonly exclusiveMax?: boolean;
  readonly integer?: boolean;
  /** `inf`, `infinity` and `none` mean +∞. */
  readonly allowInfinity?: boolean;
}

/**
 * Parses a numeric option value, or returns `fallback` when the option was not given. Errors name
 * the option and the text given, and say which rule it broke (a value too large for a double, such
 * as 1e999, is named as such rather than as Infinity).
 */
export function parseNumberOption(raw: string | boolean | undefined, flag: string, fallback: number, rules: NumberRules = {}): number {
  if (raw === undefined) return fallback;
  const given = String(raw);
  const text = given.trim().toLowerCase();
  const infinite = text === 'inf' || text === 'infinity' || text === 'none' || text === '+inf';
  if (infinite && rules.allowInfinity) return Number.POSITIVE_INFINITY;
  const value = Number(text);
  if (text === '' || Number.isNaN(value) || infinite) throw new CliError(`${flag} must be ${describeRules(rules)}, got '${given}'`);
  if (!Number.isFinite(value)) throw new CliError(`${flag} must be ${describeRules(rules)}, got '${given}', which is beyond the range of a number (±1.8e308)`);
  const tooSmall = rules.min !== undefined && (rules.exclusiveMin ? value <= rules.min : value < rules.min);
  const tooLarge = rules.max !== undefined && (rules.exclusiveMax ? value >= rules.max : value > rules.max);
  if ((rules.integer && !Number.isInteger(value)) || tooSmall || tooLarge) throw new CliError(`${flag} must be ${describeRules(rules)}, got '${given}'`);
  return value;
}

function describeRules(rules: NumberRules): string {
  const kind = rules.integer ? 'an integer' : 'a number';
  const { min, max } = rules;
  if (rules.integer && min === 1 && max === undefined && !rules.exclusiveMin) return 'a positive integer';
  if (rules.integer && min === 0 && max === undefined && !rules.exclusiveMin) return 'a non-negative integer';
  if (min !== undefined && max !== undefined) return `${kind} in ${rules.exclusiveMin ? '(' : '['}${min}, ${max}${rules.exclusiveMax ? ')' : ']'}`;
  if (min !== undefined) return `${kind} ${rules.exclusiveMin ? 'greater than' : 'of at least'} ${min}${rules.allowInfinity ? ' (or inf)' : ''}`;
  if (max !== undefined) return `${kind} of at most ${max}`;
  return kind;
}

/** An ISO 8601 date or date-time (`2026-01-20`, `2026-01-20T12:00Z`, `2026-01-20T12:00:00.5+02:00`). */
const isoTime = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * Parses a time option: an ISO 8601 date or date-time (a date alone is midnight UTC; a date-time
 * without `Z` or an offset is local time, as JavaScript reads it) or milliseconds since the epoch.
 * Returns ms since the epoch, or `undefined` when the option was not given. A day or time that does
 * not exist (2026-02-30, 24:00) is refused rather than rolled over; errors name the option and the
 * text given.
 */
export function parseTimeOption(raw: string | undefined, flag: string): number | undefined {
  if (raw === undefined) return undefined;
  const text = raw.trim();
  const fail = (): never => {
    throw new CliError(`${flag} must be a time (ISO 8601 such as 2026-01-20T12:00Z, or ms since the epoch), got '${raw}'`);
  };
  if (/^\d+$/.test(text)) {
    const ms = Number(text);
    return Number.isSafeInteger(ms) && ms <= 8.64e15 ? ms : fail();
  }
  const match = isoTime.exec(text);
  if (match === null) return fail();
  const [, year, month, day, hour = '0', minute = '0', second = '0'] = match;
  const calendar = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  const realDay = calendar.getUTCFullYear() === Number(year) && calendar.getUTCMonth() === Number(month) - 1 && calendar.getUTCDate() === Number(day);
  if (!realDay || Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59) return fail();
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : fail();
}
