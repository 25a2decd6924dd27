import { parseArgs } from 'node:util';
import type { CliCommand } from '../io';
import { cliVersion } from '../version';

export const versionCommand: CliCommand = {
  summary: 'print the version (with --json, as {"version"})',
  run(args, io) {
    const { values } = parseArgs({ args: [...args], options: { json: { type: 'boolean', default: false } }, strict: true });
    io.stdout(values.json ? `${JSON.stringify({ version: cliVersion })}\n` : `${cliVersion}\n`);
    return Promise.resolve(0);
  },
};
