/**
 * Reading one line of a JSON Lines file the way people's files actually look: a UTF-8 byte-order
 * mark some editors put before the first line is not part of the JSON, and the bare tokens NaN,
 * Infinity and -Infinity that Python's json module writes are not JSON at all. Such tokens are read
 * as marked strings so that a validator can say which field holds them ("is NaN"), instead of the
 * parser's "Unexpected token N" at a column. A number too large for a double (1e999) parses to
 * ±Infinity and is described as out of range.
 */

/** The marker a bare non-finite token is replaced by (followed by the token itself). */
const nonFiniteMarker = '\u0000non-finite:';

/** Strips a leading byte-order mark (U+FEFF). */
export function stripByteOrderMark(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** The parsed value of a line, or why it is not JSON. */
export type JsonLineResult = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly reason: string };

/**
 * Parses one line (a byte-order mark and a trailing carriage return are ignored). Bare NaN and
 * ±Infinity tokens outside strings become marked strings that {@link describeJsonValue} and
 * {@link nonFiniteToken} recognise.
 */
export function parseJsonLine(line: string): JsonLineResult {
  let text = stripByteOrderMark(line);
  if (text.endsWith('\r')) text = text.slice(0, -1);
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    const marked = text.replace(/"(?:[^"\\]|\\.)*"|(-?Infinity|NaN)/g, (match, token: string | undefined) => (token === undefined ? match : JSON.stringify(nonFiniteMarker + token)));
    if (marked !== text) {
      try {
        return { ok: true, value: JSON.parse(marked) as unknown };
      } catch {
        // Malformed besides the tokens: report the original parse error.
      }
    }
    return { ok: false, reason: `malformed JSON (${error instanceof Error ? error.message : String(error)})` };
  }
}

/** 'NaN', 'Infinity' or '-Infinity' when `value` stands for such a bare token; undefined otherwise. */
export function nonFiniteToken(value: unknown): string | undefined {
  return typeof value === 'string' && value.startsWith(nonFiniteMarker) ? value.slice(nonFiniteMarker.length) : undefined;
}

/** A value as a message shows it: NaN as NaN, an overflowed number as out of range, else its JSON. */
export function describeJsonValue(value: unknown): string {
  const token = nonFiniteToken(value);
  if (token !== undefined) return token;
  if (typeof value === 'number' && !Number.isFinite(value)) return `a number beyond ±1.8e308 (read as ${value})`;
  return JSON.stringify(value) ?? String(value);
}

/** Why a value that should be a finite number is not, for a message: undefined when it is one. */
export function notFiniteNumber(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return undefined;
  return `must be a finite number, got ${describeJsonValue(value)}`;
}
