import type { CliCommand } from '../io';
import { parseCommandArgs } from '../args';
import { cliVersion } from '../version';

const help = `usage: paramloop version [--json]

Prints the version of paramloop; with --json as one JSON object {"version"}.`;

export const versionCommand: CliCommand = {
  summary: 'print the version (with --json, as {"version"})',
  run(args, io) {
    const { values } = parseCommandArgs(args, { json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } });
    if (values.help) io.stdout(`${help}\n`);
    else io.stdout(values.json ? `${JSON.stringify({ version: cliVersion })}\n` : `${cliVersion}\n`);
    return Promise.resolve(0);
  },
};
