// `paramloop export --db DIR --format jsonl|csv|dsjson [--out FILE] [--include-prompt-text] [--accept-loss]`
// Reads the store read-only (the snapshot and the journal tail; nothing in DIR is written) and
// writes the export to FILE (through a temporary file renamed into place) or to stdout. A folder
// that holds no store, and a store that lost events, are errors (exit 1) and nothing is written:
// a script must not replace a good export with an empty or partial one.
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { dirname } from 'node:path';
import { csvLineEnd, csvLines } from '../../store/formats/csv';
import { dsjsonLines } from '../../store/formats/dsjson';
import { jsonlLines } from '../../store/formats/jsonl';
import { defaultWasmDir } from '../../store/sqlite';
import { openStore } from '../../store/store';
import { parseCommandArgs } from '../args';
import { CliError } from '../io';
import { checkOutputFile, fileErrorReason } from '../paths';
import type { CliCommand } from '../io';
import { acceptLossHelp, openForCommand } from '../storeAccess';

const formats = ['jsonl', 'csv', 'dsjson'] as const;
type ExportFormat = (typeof formats)[number];

const help = `usage: paramloop export --db DIR --format jsonl|csv|dsjson [--out FILE] [--include-prompt-text] [--accept-loss] [--json]

  jsonl   our versioned format: a header line, then one line per decision with its outcome
  csv     flat columns (RFC 4180), one row per decision
  dsjson  Vowpal Wabbit DSJSON, one line per decision with an outcome; _label_cost = -reward
  ${acceptLossHelp}
Without --out the export goes to stdout. With --json a summary object is printed on stdout.
A DIR that holds no store, or whose store lost events, exits 1 and writes nothing.`;

export const exportCommand: CliCommand = {
  summary: 'export the decision log as JSONL, CSV or Vowpal Wabbit DSJSON',
  async run(args, io) {
    const { values } = parseCommandArgs(args, {
      db: { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
      'include-prompt-text': { type: 'boolean', default: false },
      'accept-loss': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    });
    if (values.help) {
      io.stdout(`${help}\n`);
      return 0;
    }
    if (values.db === undefined) throw new CliError('--db DIR is required');
    const format = values.format as ExportFormat | undefined;
    if (format === undefined || !formats.includes(format)) throw new CliError(`--format must be one of ${formats.join(', ')}`);
    if (values.json && values.out === undefined) throw new CliError('--json needs --out (stdout carries the summary)');
    if (values.out !== undefined) await checkOutputFile(values.out, '--out');

    const db = values.db;
    const store = await openForCommand('export', io, () => openStore(db, { wasmDir: defaultWasmDir(__dirname), readOnly: true, refuseLoss: !values['accept-loss'] }));
    try {
      const options = { includePromptText: values['include-prompt-text'] };
      const skipped = { unlabelled: 0 };
      const records = store.iterateLogged();
      const lines =
        format === 'jsonl' ? jsonlLines(records, options) : format === 'csv' ? csvLines(records, options) : dsjsonLines(records, store.armCatalog(), skipped);
      const lineEnd = format === 'csv' ? csvLineEnd : '\n';
      let written = 0;
      if (values.out === undefined) {
        for (const line of lines) {
          io.stdout(line + lineEnd);
          written++;
        }
      } else {
        const temp = `${values.out}.tmp-${process.pid}`;
        const stream = createWriteStream(temp);
        try {
          for (const line of lines) {
            if (!stream.write(line + lineEnd)) await once(stream, 'drain');
            written++;
          }
          stream.end();
          await once(stream, 'finish');
          await rename(temp, values.out);
        } catch (error) {
          stream.destroy();
          await rm(temp, { force: true });
          // The temporary file is ours, not the user's: the message names the path they gave.
          const reason = (error as { code?: unknown }).code === 'ENOENT' ? `${dirname(values.out)} does not accept new files` : fileErrorReason(error);
          throw new CliError(`cannot write ${values.out} (--out): ${reason}`, 1);
        }
      }
      const decisions = format === 'dsjson' ? written : written - 1;
      if (skipped.unlabelled > 0) io.stderr(`paramloop export: ${skipped.unlabelled} decisions without an outcome were left out (DSJSON needs a label)\n`);
      if (values.json) io.stdout(`${JSON.stringify({ format, out: values.out, decisions, skippedUnlabelled: skipped.unlabelled })}\n`);
      return 0;
    } finally {
      await store.close();
    }
  },
};
