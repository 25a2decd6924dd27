// What the integration suites share about the extension under test: its id, its API once
// activated, and the user's settings.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ParamloopApi } from '../../src/extension/extension';

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
