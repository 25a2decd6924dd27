// `paramloop export --db DIR --format jsonl|csv|dsjson [--out FILE] [--since T] [--until T] [--include-prompt-text] [--accept-loss]`
// Reads the store read-only (the snapshot and the journal tail; nothing in DIR is written) and
// writes the export to FILE (through a temporary file renamed into place) or to stdout. A folder
// that holds no store, and a store that lost events, are errors (exit 1) and nothing is written:
// a script must not replace a good export with an empty or partial one.
import { dirname } from 'node:path';
import { csvLineEnd, csvLines } from '../../store/formats/csv';
import { dsjsonLines } from '../../store/formats/dsjson';
import { jsonlLines } from '../../store/formats/jsonl';
import { exportFormats, exportToFile, type ExportFormat } from '../../store/exportFile';
import { defaultWasmDir } from '../../store/sqlite';
import { openStore } from '../../store/store';
import { parseCommandArgs } from '../args';
import { CliError } from '../io';
import { checkOutputFile, fileErrorReason } from '../paths';
import type { CliCommand } from '../io';
import { acceptLossHelp, openForCommand } from '../storeAccess';

const formats = exportFormats;

const help = `usage: paramloop export --db DIR --format jsonl|csv|dsjson [--out FILE] [--since TIME] [--until TIME]
                        [--include-prompt-text] [--accept-loss] [--json]

  jsonl   our versioned format: a header line, then one line per decision with its outcome
  csv     flat columns (RFC 4180), one row per decision
  dsjson  Vowpal Wabbit DSJSON, one line per decision with an outcome; _label_cost = -reward
  ${acceptLossHelp}
--since and --until (ISO 8601 times, e.g. 2026-11-01 or 2026-11-01T09:00Z) keep the decisions logged
in [since, until). Without --out the export goes to stdout. With --json a summary object is printed on stdout.
A DIR that holds no store, or whose store lost events, exits 1 and writes nothing.`;

export const exportCommand: CliCommand = {
  summary: 'export the decision log as JSONL, CSV or Vowpal Wabbit DSJSON',
  async run(args, io) {
    const { values } = parseCommandArgs(args, {
      db: { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
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
    const range = { ...timeOption(values.since, '--since', 'since'), ...timeOption(values.until, '--until', 'until') };
    if (range.since !== undefined && range.until !== undefined && range.since >= range.until) throw new CliError('--since must be before --until');

    const db = values.db;
    const store = await openForCommand('export', io, () => openStore(db, { wasmDir: defaultWasmDir(__dirname), readOnly: true, refuseLoss: !values['accept-loss'] }));
    try {
      const options = { includePromptText: values['include-prompt-text'] };
      let summary: { decisions: number; skippedUnlabelled: number };
      if (values.out === undefined) {
        const skipped = { unlabelled: 0 };
        const records = store.iterateLogged(range);
        const lines =
          format === 'jsonl' ? jsonlLines(records, options) : format === 'csv' ? csvLines(records, options) : dsjsonLines(records, store.armCatalog(), skipped);
        const lineEnd = format === 'csv' ? csvLineEnd : '\n';
        let written = 0;
        for (const line of lines) {
          io.stdout(line + lineEnd);
          written++;
        }
        summary = { decisions: format === 'dsjson' ? written : written - 1, skippedUnlabelled: skipped.unlabelled };
      } else {
        const out = values.out;
        summary = await exportToFile(store, { format, out, ...range, ...options }).catch((error: unknown) => {
          // The temporary file is ours, not the user's: the message names the path they gave.
          const reason = (error as { code?: unknown }).code === 'ENOENT' ? `${dirname(out)} does not accept new files` : fileErrorReason(error);
          throw new CliError(`cannot write ${out} (--out): ${reason}`, 1);
        });
      }
      const { decisions, skippedUnlabelled } = summary;
      if (skippedUnlabelled > 0) io.stderr(`paramloop export: ${skippedUnlabelled} decisions without an outcome were left out (DSJSON needs a label)\n`);
      if (values.json) io.stdout(`${JSON.stringify({ format, out: values.out, decisions, skippedUnlabelled })}\n`);
      return 0;
    } finally {
      await store.close();
    }
  },
};

/** A time option as milliseconds since the epoch, under `key`; nothing when absent. */
function timeOption<K extends string>(text: string | undefined, option: string, key: K): Partial<Record<K, number>> {
  if (text === undefined) return {};
  const ms = Date.parse(text);
  if (!Number.isFinite(ms)) throw new CliError(`${option}: "${text}" is not a time (ISO 8601, e.g. 2026-11-01 or 2026-11-01T09:00Z)`);
  return { [key]: ms } as Partial<Record<K, number>>;
}
