// The headless entry: `paramloop <command> [options]`. Each command lives in ./commands and is
// registered in the table below. With `--json` a command prints exactly one JSON object on stdout;
// errors go to stderr with a non-zero exit code and nothing on stdout.
import { createInterface } from 'node:readline';
import { StoreFolderError } from '../store/folder';
import { StoreLockedError } from '../store/lock';
import { StoreDataLossError, StoreNotFoundError } from '../store/recovery';
import { StoreVersionError } from '../store/schema';
import { commands } from './commands';
import { CliError, type CliIo } from './io';
import { lockedStoreMessage } from './storeAccess';
import { cliVersion } from './version';

const usage = `usage: paramloop <command> [options]

commands:
${Object.entries(commands)
  .map(([name, command]) => `  ${name.padEnd(10)} ${command.summary}`)
  .join('\n')}

Run 'paramloop <command> --help' for a command's options.`;

/** Runs the CLI with the given arguments; resolves to the process exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(`${usage}\n`);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    io.stdout(`${cliVersion}\n`);
    return 0;
  }
  const command = commands[name];
  if (command === undefined) {
    io.stderr(`paramloop: unknown command '${name}'\n\n${usage}\n`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof CliError) {
      io.stderr(`paramloop ${name}: ${error.message}\n`);
      return error.exitCode;
    }
    if (isArgumentError(error)) {
      io.stderr(`paramloop ${name}: ${error.message}\n`);
      return 2;
    }
    // A store another process holds: named as the serving process when it serves the log.
    if (error instanceof StoreLockedError) {
      io.stderr(`paramloop ${name}: ${await lockedStoreMessage(name, error)}\n`);
      return 1;
    }
    // The store's own refusals are the user's to act on: a folder that cannot be or does not hold
    // a store, a store from a newer version, or one that would lose events when opened.
    if (
      error instanceof StoreFolderError ||
      error instanceof StoreNotFoundError ||
      error instanceof StoreDataLossError ||
      error instanceof StoreVersionError
    ) {
      io.stderr(`paramloop ${name}: ${error.message}\n`);
      return 1;
    }
    io.stderr(`paramloop ${name}: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
  }
}

if (require.main === module) {
  // A reader that stops early (`paramloop export … | head`) closes the pipe: end quietly.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  void runCli(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    ...(process.stdin.isTTY ? { ask: askOnTerminal } : {}),
  }).then((code) => {
    process.exitCode = code;
  });
}

/** A question on stderr, the answer a line typed on the terminal (none after `timeoutMs`). */
function askOnTerminal(question: string, timeoutMs: number): Promise<string | undefined> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      process.stderr.write('\n');
      rl.close();
    }, timeoutMs);
    let answer: string | undefined;
    rl.question(question, (line) => {
      answer = line;
      rl.close();
    });
    rl.once('close', () => {
      clearTimeout(timer);
      resolve(answer);
    });
  });
}

/** node:util parseArgs reports unknown or malformed options with ERR_PARSE_ARGS_* codes. */
function isArgumentError(error: unknown): error is Error {
  if (!(error instanceof Error)) return false;
  const code: unknown = (error as Error & { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}
