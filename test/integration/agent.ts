// A window agent: the `extensionTestsPath` of a workbench window that a runner drives from outside
// (test/host/windows.ts), e.g. one of two windows open at once. It activates Paramloop, logs its
// marker, and answers the runner's commands (agentProtocol.ts) until told to stop; the window's
// extension host lives on meanwhile, as it does for a user.
import { mkdirSync } from 'node:fs';
import * as vscode from 'vscode';
import type { ParamloopApi } from '../../src/extension/extension';
import { agentDir, agentMarkerKind, answerFile, commandFile, waitForJson, writeJsonAtomically } from './agentProtocol';
import type { AgentAnswer, AgentCommand, AgentInfo } from './agentProtocol';

const extensionId = 'paramloop.paramloop';

async function handle(command: AgentCommand, extension: vscode.Extension<ParamloopApi>): Promise<unknown> {
  switch (command.name) {
    case 'info': {
      const info: AgentInfo = {
        pid: process.pid,
        folders: (vscode.workspace.workspaceFolders ?? []).map((folder) => folder.uri.fsPath),
        extensionPath: extension.extensionPath,
      };
      return info;
    }
    case 'decisionLog':
      return extension.exports.decisionLog();
    case 'executeCommand':
      return (await vscode.commands.executeCommand(command.command, ...(command.args ?? []))) ?? null;
    case 'stop':
      return null;
  }
}

export async function run(): Promise<void> {
  const channel = process.env.PARAMLOOP_HOST_CHANNEL;
  if (!channel) throw new Error('the window agent needs a runner (PARAMLOOP_HOST_CHANNEL is not set)');
  const extension = vscode.extensions.getExtension<ParamloopApi>(extensionId);
  if (!extension) throw new Error(`${extensionId} is not among the host's extensions`);
  await extension.activate();
  const dir = agentDir(channel, process.pid);
  mkdirSync(dir, { recursive: true });
  console.log(`PARAMLOOP_${agentMarkerKind} pid=${process.pid}`);
  for (let n = 1; ; n++) {
    // No deadline: a window waits for as long as the runner keeps it open.
    const command = (await waitForJson(commandFile(dir, n), Number.POSITIVE_INFINITY)) as AgentCommand;
    let answer: AgentAnswer;
    try {
      answer = { ok: true, value: await handle(command, extension) };
    } catch (error) {
      answer = { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
    writeJsonAtomically(answerFile(dir, n), answer);
    if (command.name === 'stop') return;
  }
}
