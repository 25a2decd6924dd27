import type { CliCommand } from './io';
import { opeCommand } from './commands/ope';
import { versionCommand } from './commands/version';

/** Every CLI command by name. Add a command by adding a file in ./commands and a line here. */
export const commands: Record<string, CliCommand> = {
  ope: opeCommand,
  version: versionCommand,
};
