// Reading an `ope --input` file: which format it is in, and the obp format streamed line by line
// into typed arrays (a million rounds need little more memory than the arrays themselves). Format
// errors name the file, the line and the field.
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import type { LoggedRounds } from '../../core/ope/loggedRounds';
import { ObpFormatError, ObpRoundsReader } from '../../core/ope/obpFormat';
import { CliError } from '../io';
import { checkInputFile, fileErrorReason } from '../paths';

/** The first non-blank line of the file (within its first 64 KiB). */
async function firstLine(path: string): Promise<string> {
  await checkInputFile(path, '--input');
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw new CliError(`cannot read ${path} (--input): ${fileErrorReason(error)}`, 1);
  }
  try {
    const buffer = Buffer.alloc(64 * 1024);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.toString('utf8', 0, bytesRead).split('\n').find((line) => line.trim() !== '') ?? '';
  } finally {
    await handle.close();
  }
}

/** obp when the first non-blank line names an obp key; native otherwise. */
export async function detectFormat(path: string): Promise<'obp' | 'native'> {
  const line = await firstLine(path);
  return /"(pscore|action_dist)"\s*:/.test(line) || line.length === 0 ? 'obp' : 'native';
}

/** Streams an obp JSONL file into typed arrays; format errors become CliErrors naming file, line and field. */
export async function readObpFile(path: string): Promise<LoggedRounds> {
  await checkInputFile(path, '--input');
  const reader = new ObpRoundsReader();
  try {
    await forEachLine(path, (line, number) => reader.addLine(line, number));
    return reader.finish();
  } catch (error) {
    if (error instanceof ObpFormatError) {
      // A decision log given with --format obp fails on its header line: say what it is instead.
      if (error.line === 1 && /"format"\s*:\s*"paramloop\.decisions"/.test(await firstLine(path))) {
        throw new CliError(`${path} is a decision log (paramloop export --format jsonl), not obp input: use --format native, or leave --format out`, 2);
      }
      throw new CliError(error.line > 0 ? `${path}, ${error.message}` : `${path}: ${error.reason}`, 1);
    }
    if (error instanceof CliError) throw error;
    throw new CliError(`cannot read ${path} (--input): ${fileErrorReason(error)}`, 1);
  }
}

/** Calls `onLine` for each line of a UTF-8 file (without its line ending), numbering from 1. */
async function forEachLine(path: string, onLine: (line: string, lineNumber: number) => void): Promise<void> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let lineNumber = 0;
  const stream = createReadStream(path, { highWaterMark: 4 * 1024 * 1024 });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const text = pending + decoder.write(chunk);
    let start = 0;
    let newline = text.indexOf('\n', start);
    // A byte-order mark some editors write is not part of the first line's JSON.
    if (lineNumber === 0 && start === 0 && text.charCodeAt(0) === 0xfeff) start = 1;
    while (newline >= 0) {
      lineNumber++;
      onLine(stripCarriageReturn(text.slice(start, newline)), lineNumber);
      start = newline + 1;
      newline = text.indexOf('\n', start);
    }
    pending = text.slice(start);
  }
  const rest = pending + decoder.end();
  if (rest !== '') onLine(stripCarriageReturn(rest), lineNumber + 1);
}

function stripCarriageReturn(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}
