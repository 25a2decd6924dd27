// Entry of the extension benchmark inside the extension host: activates the installed extension and
// reports what it measured on a marker line the bench runner reads. Asserts nothing.
import * as vscode from 'vscode';
import type { ParamloopApi } from '../../src/extension/extension';

export async function run(): Promise<void> {
  const started = performance.now();
  const extension = vscode.extensions.getExtension<ParamloopApi>('paramloop.paramloop');
  if (!extension) throw new Error('paramloop.paramloop is not installed');
  const api = await extension.activate();
  const activateCallMs = performance.now() - started;
  console.log(`PARAMLOOP_BENCH activationMs=${api.activationMs.toFixed(3)} activateCallMs=${activateCallMs.toFixed(3)} extensionPath=${encodeURIComponent(extension.extensionPath)}`);
}
