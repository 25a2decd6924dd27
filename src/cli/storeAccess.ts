// Opening a store for a CLI command that takes --accept-loss: a refusal for lost events says how to
// open the store anyway (the store's other refusals are reported by main.ts), and what opening
// found is printed on stderr. A refusal because another process holds the store says whether that
// process serves the log (and then which, since when), since only the serving process may write it.
import { connect, type ServiceConnection } from '../service/connection';
import type { ServiceSettings } from '../service/optimizerService';
import { ServiceUnavailableError } from '../service/serviceError';
import { defaultWasmDir } from '../store/sqlite';
import type { ServerKind } from '../service/protocol';
import type { StoreLockedError } from '../store/lock';
import { StoreDataLossError } from '../store/store';
import type { RecoveryNotice } from '../store/store';
import { CliError } from './io';
import type { CliIo } from './io';

/** The option every command that opens a store takes, and what it does. */
export const acceptLossHelp = `--accept-loss        open a store even when opening it loses stored events (each is named on stderr;
                       damaged files are moved aside, never deleted). Without it such a store is refused
                       with exit 1 and left as it is`;

/**
 * Runs `open`; a store that would lose events when opened becomes a CliError (exit code 1) that
 * names them and the way out. Prints the notices of the opened store as `paramloop <command>: …`.
 */
export async function openForCommand<T extends { notices: readonly Pick<RecoveryNotice, 'level' | 'message'>[] }>(command: string, io: CliIo, open: () => Promise<T>): Promise<T> {
  let opened: T;
  try {
    opened = await open();
  } catch (error) {
    if (error instanceof StoreDataLossError) throw new CliError(`${error.message}\nWith --accept-loss it is opened anyway.`, 1);
    throw error;
  }
  for (const notice of opened.notices) io.stderr(`paramloop ${command}: ${notice.level}: ${notice.message}\n`);
  return opened;
}

/** How long to wait for the holder of a store's lock to answer as its serving process. */
const servingAnswerTimeoutMs = 1000;

const whatToDo: Record<ServerKind, string> = {
  extension: 'close that VS Code window first',
  cli: 'wait until that paramloop command has ended',
};

/**
 * Why `command` cannot write the store another process holds: when that process serves the log
 * (it answers on the store's socket as the lock's holder), the serving process by pid and kind and
 * since when, and that only it may write the log; otherwise the store's own message.
 */
export async function lockedStoreMessage(command: string, error: StoreLockedError): Promise<string> {
  let connection;
  try {
    connection = await connect(error.dir, { serve: false, kind: 'cli', timeoutMs: servingAnswerTimeoutMs });
  } catch {
    return error.message;
  }
  const { pid, kind, since } = connection.serving;
  await connection.close().catch(() => undefined);
  const who = kind === 'extension' ? 'a VS Code window' : 'a paramloop command';
  return (
    `the decision log in ${error.dir} is served by process ${pid} (${kind}: ${who}) since ${new Date(since).toISOString()}; ` +
    `'${command}' writes the log directly, which only the serving process may do: ${whatToDo[kind]}, then run it again. Nothing was changed.`
  );
}

/**
 * The learner of the log in `db` for a command that plans or gives feedback: a client of the process
 * that serves it (a VS Code window), or this process serving it with `settings` while none does. A
 * learner that cannot be reached is a CliError naming why.
 */
export async function connectLearner(db: string, settings: ServiceSettings): Promise<ServiceConnection> {
  try {
    return await connect(db, { settings, open: { clock: { now: () => Date.now() }, store: { wasmDir: defaultWasmDir(__dirname) } }, kind: 'cli' });
  } catch (error) {
    if (error instanceof ServiceUnavailableError) throw new CliError(error.message);
    throw error;
  }
}
