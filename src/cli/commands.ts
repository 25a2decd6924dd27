import type { CliCommand } from './io';
import { exportCommand } from './commands/export';
import { importCommand } from './commands/import';
import { opeCommand } from './commands/ope';
import { simulateCommand } from './commands/simulate';
import { statusCommand } from './commands/status';
import { versionCommand } from './commands/version';

/** Every CLI command by name. Add a command by adding a file in ./commands and a line here. */
export const commands: Record<string, CliCommand> = {
  export: exportCommand,
  import: importCommand,
  ope: opeCommand,
  simulate: simulateCommand,
  status: statusCommand,
  version: versionCommand,
};
