// The scenarios `npm run test:integration` runs after the suite: each drives windows from outside.
import type { Scenario } from '../host/scenarioRun';
import { crashedWindow } from './crashedWindow';
import { twoWindows } from './twoWindows';
import { workspaceImport } from './workspaceImport';

export const scenarios: readonly Scenario[] = [twoWindows, crashedWindow, workspaceImport];
