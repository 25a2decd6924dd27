// `paramloop import --db DIR FILE [--json]`
// Imports a JSONL export (ours) into the store in DIR: every line is validated first and nothing is
// imported if any is wrong (each problem is named with its line and field). The import is one
// journaled unit: a crash keeps all of it or none of it, and running it again finishes it (records
// already stored identically are skipped; a request id stored with different content is a
// problem). The decisions are durable when the command succeeds.
import { readFile } from 'node:fs/promises';
import { ImportError } from '../../store/formats/jsonl';
import { defaultWasmDir } from '../../store/sqlite';
import { openStore } from '../../store/store';
import type { ImportReport } from '../../store/store';
import { parseCommandArgs } from '../args';
import { CliError } from '../io';
import { checkInputFile, fileErrorReason } from '../paths';
import type { CliCommand } from '../io';
import { acceptLossHelp, openForCommand } from '../storeAccess';

const help = `usage: paramloop import --db DIR FILE [--accept-loss] [--json]

  FILE    a JSONL export of Paramloop ('paramloop export --format jsonl'), or - for stdin
  ${acceptLossHelp}
All or nothing: one bad line (named with its line number and field) and nothing is imported; a crash
keeps all of it or none. Run again, it imports only what the store lacks (identical records are skipped;
a request id stored with different content refuses the import).
With --json a summary object is printed on stdout.`;

async function readInput(file: string): Promise<string> {
  if (file !== '-') return readFile(file, 'utf8');
  let text = '';
  process.stdin.setEncoding('utf8');
  for await (const chunk of process.stdin) text += chunk as string;
  return text;
}

export const importCommand: CliCommand = {
  summary: 'import a JSONL export into a store (all or nothing)',
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(
      args,
      {
        db: { type: 'string' },
        'accept-loss': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      true,
    );
    if (values.help) {
      io.stdout(`${help}\n`);
      return 0;
    }
    if (values.db === undefined) throw new CliError('--db DIR is required');
    const [file, ...extra] = positionals;
    if (file === undefined || extra.length > 0) throw new CliError('give exactly one FILE to import (or - for stdin)');
    if (file !== '-') await checkInputFile(file, 'FILE');
    let text: string;
    try {
      text = await readInput(file);
    } catch (error) {
      throw new CliError(`cannot read ${file}: ${fileErrorReason(error)}`, 1);
    }

    const db = values.db;
    const store = await openForCommand('import', io, () => openStore(db, { wasmDir: defaultWasmDir(__dirname), refuseLoss: !values['accept-loss'] }));
    try {
      const before = store.decisionCount();
      let report: ImportReport;
      try {
        report = await store.importJsonl(text);
      } catch (error) {
        if (error instanceof ImportError) throw new CliError(`${file}: ${error.message}`, 1);
        throw error;
      }
      const { imported, alreadyStored } = report;
      const decisions = before + imported;
      if (values.json) io.stdout(`${JSON.stringify({ db: values.db, imported, alreadyStored, decisions })}\n`);
      else io.stderr(`imported ${imported} decisions into ${values.db} (${decisions} in all${alreadyStored > 0 ? `; ${alreadyStored} were already there` : ''})\n`);
      return 0;
    } finally {
      await store.close();
    }
  },
};
