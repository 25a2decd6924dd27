// What the integration suites share about the extension under test: its id, its API once
// activated, the user's settings, and running a planning command.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ParamloopApi } from '../../src/extension/extension';
import type { PlanCommandResult } from '../../src/extension/planning';

export const extensionId = 'paramloop.paramloop';

/** The extension's API, activating it first. */
export async function api(): Promise<ParamloopApi> {
  const extension = vscode.extensions.getExtension<ParamloopApi>(extensionId);
  assert.ok(extension, `${extensionId} is not among the host's extensions`);
  await extension.activate();
  return extension.exports;
}

export const config = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration('paramloop');

/** Sets settings in the user's (global) settings, one by one. */
export async function setUser(values: Record<string, unknown>): Promise<void> {
  for (const [key, value] of Object.entries(values)) await config().update(key, value, vscode.ConfigurationTarget.Global);
}

/** Runs a planning command with its argument object; the plan it made (it must make one). */
export async function runPlanCommand(command: string, args: Record<string, unknown>): Promise<PlanCommandResult> {
  const result = await vscode.commands.executeCommand<PlanCommandResult | undefined>(command, args);
  assert.ok(result, `${command} returned nothing`);
  return result;
}
