// The protocol between a runner and the window agent (agent.ts) that runs in a workbench window's
// extension host: the runner writes `command-<n>.json` into the agent's folder (`agent-<pid>` in the
// channel folder, PARAMLOOP_HOST_CHANNEL) and the agent answers with `answer-<n>.json`, n counting
// from 1. Both sides run on this machine; every file is written to a temporary name and renamed, so
// the other side never reads half of one. Neither side imports `vscode` here.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** What the runner can ask a window's agent. */
export type AgentCommand =
  /** The agent's process, workspace folders and the extension's location. */
  | { name: 'info' }
  /** `ParamloopApi.decisionLog()`: the decision log's status as the extension reports it. */
  | { name: 'decisionLog' }
  /** `ParamloopApi.learner()`: its status, who serves it and this window's role. */
  | { name: 'learnerStatus' }
  /**
   * Runs `count` requests through `ParamloopApi.learner()` (recommend, log once sent, outcome drawn
   * from the simulated LLM-planning environment with `seed`), in session `sessionKey`.
   */
  | { name: 'logRequests'; count: number; seed: number; sessionKey: string }
  /** Runs a VS Code command (e.g. `notifications.showList`) and answers its result. */
  | { name: 'executeCommand'; command: string; args?: unknown[] }
  /** Ends the agent's `run()`: the workbench then reports the exit code. */
  | { name: 'stop' };

/** What `learnerStatus` answers. */
export interface AgentLearnerStatus {
  role: 'serve' | 'client';
  serving: { thisProcess: boolean; pid: number; kind: string; since: number };
  decisions: number;
  outcomes: number;
  pending: number;
  phase: string;
}

/** What `logRequests` answers: the request ids logged, and who served each request's outcome. */
export interface AgentLogged {
  requestIds: string[];
  servedBy: number[];
}

/** What `info` answers. */
export interface AgentInfo {
  pid: number;
  folders: string[];
  extensionPath: string;
}

export type AgentAnswer = { ok: true; value: unknown } | { ok: false; error: string };

/** The marker line an agent logs once it serves commands: `PARAMLOOP_AGENT pid=<pid>`. */
export const agentMarkerKind = 'AGENT';

/** The folder of the agent running in process `pid`. */
export function agentDir(channelDir: string, pid: number): string {
  return join(channelDir, `agent-${pid}`);
}

export const commandFile = (dir: string, n: number): string => join(dir, `command-${n}.json`);
export const answerFile = (dir: string, n: number): string => join(dir, `answer-${n}.json`);

/** Writes `value` as JSON to `file` through a temporary name. */
export function writeJsonAtomically(file: string, value: unknown): void {
  writeFileSync(`${file}.tmp`, JSON.stringify(value));
  renameSync(`${file}.tmp`, file);
}

/** Waits for `file` and returns its parsed content, or undefined after `timeoutMs` (or when `stop()` says so). */
export async function waitForJson(file: string, timeoutMs: number, stop: () => boolean = () => false): Promise<unknown> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !stop()) {
    if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as unknown;
    await sleep(50);
  }
  return undefined;
}
