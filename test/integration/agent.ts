// A window agent: the `extensionTestsPath` of a workbench window that a runner drives from outside
// (test/host/windows.ts), e.g. one of two windows open at once. It activates Paramloop, logs its
// marker, and answers the runner's commands (agentProtocol.ts) until told to stop; the window's
// extension host lives on meanwhile, as it does for a user.
import { mkdirSync } from 'node:fs';
import * as vscode from 'vscode';
import { createRng } from '../../src/core/math/random';
import type { LearnerApi, ParamloopApi } from '../../src/extension/extension';
import { createLlmPlanningEnvironment } from '../../src/sim/llmPlanning';
import { agentDir, agentMarkerKind, answerFile, commandFile, waitForJson, writeJsonAtomically } from './agentProtocol';
import type { AgentAnswer, AgentCommand, AgentInfo, AgentLearnerStatus, AgentLogged } from './agentProtocol';

const extensionId = 'paramloop.paramloop';

const environment = createLlmPlanningEnvironment();

async function learnerOf(extension: vscode.Extension<ParamloopApi>): Promise<LearnerApi> {
  const learner = await extension.exports.learner();
  if (learner === undefined) throw new Error("this window's learner is unavailable");
  return learner;
}

/** Requests through the extension's learner, as a planning command will make them. */
async function logRequests(learner: LearnerApi, count: number, seed: number, sessionKey: string): Promise<AgentLogged> {
  const rng = createRng(seed);
  const logged: AgentLogged = { requestIds: [], servedBy: [] };
  for (let i = 0; i < count; i++) {
    const context = environment.sampleContext(rng);
    const recommendation = await learner.recommend(context, sessionKey);
    if (recommendation.kind !== 'decision') throw new Error(`request ${i + 1} was refused: ${JSON.stringify(recommendation)}`);
    const decision = await learner.logDecision(recommendation.decision.requestId, { honouredParams: ['temperature', 'topP', 'maxTokens'], modelUsed: 'simulated' });
    const outcome = environment.sampleOutcome(context, environment.space.arms[decision.armIndex]!, rng, decision.requestId, Date.now());
    await learner.recordOutcome(decision.requestId, outcome);
    logged.requestIds.push(decision.requestId);
    logged.servedBy.push(learner.serving.pid);
  }
  return logged;
}

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
    case 'learnerStatus': {
      const learner = await learnerOf(extension);
      const status = await learner.status();
      const answer: AgentLearnerStatus = { role: learner.role, serving: learner.serving, decisions: status.decisions, outcomes: status.outcomes, pending: status.pending, phase: status.phase };
      return answer;
    }
    case 'logRequests':
      return logRequests(await learnerOf(extension), command.count, command.seed, command.sessionKey);
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
