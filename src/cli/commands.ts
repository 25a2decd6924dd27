import type { CliCommand } from './io';
import { exportCommand } from './commands/export';
import { feedbackCommand } from './commands/feedback';
import { importCommand } from './commands/import';
import { opeCommand } from './commands/ope';
import { planCommand } from './commands/plan';
import { simulateCommand } from './commands/simulate';
import { statusCommand } from './commands/status';
import { versionCommand } from './commands/version';

/** Every CLI command by name. Add a command by adding a file in ./commands and a line here. */
export const commands: Record<string, CliCommand> = {
  export: exportCommand,
  feedback: feedbackCommand,
  import: importCommand,
  ope: opeCommand,
  plan: planCommand,
  simulate: simulateCommand,
  status: statusCommand,
  version: versionCommand,
};
