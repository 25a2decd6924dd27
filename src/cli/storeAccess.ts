// Opening a store for a CLI command that takes --accept-loss: a refusal for lost events says how to
// open the store anyway (the store's other refusals are reported by main.ts), and what opening
// found is printed on stderr.
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
