import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

/**
 * A full-information rounds file held in typed arrays: per round the context x (d), the true mean
 * reward of every arm mu (K) and the realised reward of every arm r (K). One JSONL line per round:
 * {"x": [...], "mu": [...], "r": [...]} (the format of ../shared/bench/make_rounds.mjs).
 */
export interface Rounds {
  count: number;
  contextDim: number;
  armCount: number;
  x: Float64Array;
  mu: Float64Array;
  r: Float64Array;
}

/** Reads and validates a rounds file; errors name the line and the field. */
export async function readRoundsFile(path: string): Promise<Rounds> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let d = -1;
  let k = -1;
  const xs: number[] = [];
  const mus: number[] = [];
  const rs: number[] = [];
  let lineNumber = 0;
  let count = 0;
  for await (const line of lines) {
    lineNumber++;
    if (line.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (error) {
      throw new Error(`${path}:${lineNumber}: not valid JSON (${error instanceof Error ? error.message : String(error)})`, { cause: error });
    }
    if (typeof parsed !== 'object' || parsed === null) throw new Error(`${path}:${lineNumber}: expected an object with x, mu and r`);
    const record = parsed as Record<string, unknown>;
    const x = numbers(record.x, path, lineNumber, 'x');
    const mu = numbers(record.mu, path, lineNumber, 'mu');
    const r = numbers(record.r, path, lineNumber, 'r');
    if (d < 0) {
      d = x.length;
      k = mu.length;
      if (k < 2) throw new Error(`${path}:${lineNumber}: field mu has ${k} arms; at least 2 are needed`);
    }
    if (x.length !== d) throw new Error(`${path}:${lineNumber}: field x has ${x.length} entries, earlier lines have ${d}`);
    if (mu.length !== k) throw new Error(`${path}:${lineNumber}: field mu has ${mu.length} entries, earlier lines have ${k}`);
    if (r.length !== k) throw new Error(`${path}:${lineNumber}: field r has ${r.length} entries, expected ${k} (one per arm)`);
    for (const v of x) xs.push(v);
    for (const v of mu) mus.push(v);
    for (const v of r) rs.push(v);
    count++;
  }
  if (count === 0) throw new Error(`${path}: no rounds`);
  return { count, contextDim: d, armCount: k, x: Float64Array.from(xs), mu: Float64Array.from(mus), r: Float64Array.from(rs) };
}

function numbers(value: unknown, path: string, line: number, field: string): number[] {
  if (!Array.isArray(value)) throw new Error(`${path}:${line}: field ${field} must be an array of numbers`);
  for (let i = 0; i < value.length; i++) {
    const v: unknown = value[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${path}:${line}: field ${field}[${i}] is ${JSON.stringify(v)}, not a finite number`);
  }
  return value as number[];
}
