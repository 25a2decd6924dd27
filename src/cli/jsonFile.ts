// A JSON file named on the command line (settings, a parameter space, a policy snapshot), read whole.
import { readFile } from 'node:fs/promises';
import { stripByteOrderMark } from '../core/jsonLine';
import { CliError } from './io';
import { checkInputFile, fileErrorReason } from './paths';

/** The parsed content of the JSON file at `path`; errors (exit 1) name the path and `what` it is (e.g. "--space"). */
export async function readJsonFile(path: string, what: string): Promise<unknown> {
  await checkInputFile(path, what);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${path} (${what}): ${fileErrorReason(error)}`, 1);
  }
  try {
    return JSON.parse(stripByteOrderMark(text)) as unknown;
  } catch (error) {
    throw new CliError(`${path} (${what}) is not JSON: ${error instanceof Error ? error.message : String(error)}`, 1);
  }
}

/** True for a plain JSON object. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
