// `paramloop ope`: off-policy evaluation of a candidate policy on logged rounds (src/core/ope).
// Three inputs end in the same LoggedRounds: an obp file (./opeObp.ts), a decision log exported as
// JSONL, or the decision log in a store (./opeLog.ts), the last two with a candidate that is a
// snapshot or a policy trained on the log (./opeNative.ts). Everything is read and checked before
// anything is printed: on bad input stdout stays empty and the error names the file or decision,
// the line and the field. Options: ./opeOptions.ts; what is printed: ./opeReport.ts.
import { CliError, type CliCommand } from '../io';
import { readDecisionLog } from './opeLog';
import { readNativeInput } from './opeNative';
import { detectFormat, readObpFile } from './opeObp';
import { opeHelp, parseOpeOptions } from './opeOptions';
import { evaluateRounds, reportJson, reportText } from './opeReport';

export const opeCommand: CliCommand = {
  summary: 'off-policy evaluation: IPS, SNIPS, DM, DR, SNDR, SwitchDR, DRos with bootstrap intervals',
  async run(args, io) {
    const options = parseOpeOptions(args);
    if (options === undefined) {
      io.stdout(`${opeHelp}\n`);
      return 0;
    }
    const { source } = options;
    const format = source.kind === 'db' ? 'native' : (source.format ?? (await detectFormat(source.path)));
    let report;
    if (format === 'obp') {
      if (options.candidateGiven) {
        throw new CliError('--candidate, --policy, --split, --train-until and --space apply to a decision log; in the obp format the candidate is the action_dist of each line');
      }
      report = evaluateRounds(await readObpFile(source.kind === 'file' ? source.path : ''), options, 'obp');
    } else {
      const log = await readDecisionLog(source, (message) => io.stderr(`paramloop ope: ${message}\n`));
      const native = await readNativeInput(log, options.candidate, { ridgeLambda: options.ridgeLambda, folds: options.folds, seed: options.seed });
      report = evaluateRounds(native.rounds, options, 'native', native);
    }
    io.stdout(options.json ? `${JSON.stringify(reportJson(report, options))}\n` : reportText(report, options));
    return 0;
  },
};
