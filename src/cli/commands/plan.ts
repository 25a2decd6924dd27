// `paramloop plan --db DIR --task TEXT --task-type T [--file PATH] [--provider P] --base-url URL
// --model NAME [--json]`: one planning request end to end, as the extension's commands make it
// (src/planning/runPlan.ts): the optimizer decides the parameters, the provider streams the plan to
// stdout, and the decision and its outcome are logged. While a VS Code window (or another command)
// serves the log, this command is its client, so it learns with the same learner; otherwise it
// serves the log itself for the one request.
//
// The API key comes from PARAMLOOP_API_KEY, else OPENAI_API_KEY / ANTHROPIC_API_KEY: never from an
// option (it would be in the shell's history) and never printed.
import { readFile } from 'node:fs/promises';
import { extname, relative } from 'node:path';
import { ModelConstraints, parseModelConstraints } from '../../llm/modelConstraints';
import { createAnthropicProvider } from '../../llm/anthropic';
import { createOpenAiCompatibleProvider } from '../../llm/openaiCompatible';
import { providerIds, type LlmProvider, type ProviderId } from '../../llm/provider';
import { PlanRefusedError, ProviderHealth, runPlan } from '../../planning/runPlan';
import { isTaskType, taskTypes, type PlanTask } from '../../planning/task';
import { readLearnerSettings } from '../../service/learnerSettings';
import { connectLearner } from '../storeAccess';
import { parseCommandArgs } from '../args';
import { CliError, type CliCommand, type CliIo } from '../io';
import type { Feedback } from '../../service/protocol';
import { readJsonFile } from '../jsonFile';

const help = `usage: paramloop plan --db DIR --task TEXT --task-type T [--file PATH [--lines A-B]]
                      [--provider openai-compatible|anthropic] [--base-url URL] [--model NAME]
                      [--settings FILE] [--constraints FILE] [--timeout SECONDS]
                      [--wait-verdict SECONDS] [--json]

Asks for a plan with the parameters the optimizer chooses, streams it to stdout and logs the
decision and its outcome: judged by the plan's structure, and by your verdict when you give one.
At a terminal it asks for the verdict once the plan is printed (Enter for none). Otherwise, with
--wait-verdict, the outcome waits that long for "paramloop feedback" from elsewhere (a verdict
given after the outcome is recorded is too late to learn from). While VS Code serves the log in
DIR, this is a client of its learner.
  --task TEXT          the task (for breakDownTodo, the TODO; for planTests, extra instructions)
  --task-type T        ${taskTypes.join(' | ')}
  --file PATH          the code the plan is about (needed by planSelection and planTests)
  --lines A-B          the selected lines of --file (planSelection)
  --provider P         openai-compatible (default) or anthropic
  --base-url URL       default: http://localhost:11434/v1 (Ollama), or https://api.anthropic.com
  --model NAME         default: llama3.2 (openai-compatible), claude-sonnet-4-5 (anthropic)
  --settings FILE      the learner's settings as JSON ({ baseline, space, policy, reward, rollout,
                       budget }, as in VS Code's paramloop.* settings), used when this command serves
  --constraints FILE   model constraints extending the built-in table (paramloop.modelConstraints)
  --timeout SECONDS    give up when the provider sends nothing for this long (default 60)
  --wait-verdict SECONDS
                       how long the outcome waits for a verdict (default 300 when asked at a
                       terminal, else 0: recorded at once)
  --json               print one JSON object instead of the plan: requestId, armId, params,
                       honoured, dropped, propensity, phase, servedBy, plan, outcome, reward
The API key: PARAMLOOP_API_KEY, else OPENAI_API_KEY or ANTHROPIC_API_KEY.`;

const languageByExtension: Record<string, string> = {
  '.ts': 'typescript', '.tsx': 'typescriptreact', '.js': 'javascript', '.jsx': 'javascriptreact', '.mjs': 'javascript', '.py': 'python', '.rs': 'rust',
  '.go': 'go', '.java': 'java', '.rb': 'ruby', '.cs': 'csharp', '.cpp': 'cpp', '.c': 'c', '.h': 'c', '.md': 'markdown', '.json': 'json', '.sh': 'shellscript',
};

export const planCommand: CliCommand = {
  summary: 'ask for a plan with the learned parameters, stream it, and log the decision and its outcome',
  async run(args, io) {
    const { values } = parseCommandArgs(args, {
      db: { type: 'string' },
      task: { type: 'string' },
      'task-type': { type: 'string' },
      file: { type: 'string' },
      lines: { type: 'string' },
      provider: { type: 'string' },
      'base-url': { type: 'string' },
      model: { type: 'string' },
      settings: { type: 'string' },
      constraints: { type: 'string' },
      timeout: { type: 'string' },
      'wait-verdict': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    });
    if (values.help) {
      io.stdout(`${help}\n`);
      return 0;
    }
    if (values.db === undefined) throw new CliError('--db DIR is required');
    const taskType = values['task-type'] ?? 'planTask';
    if (!isTaskType(taskType)) throw new CliError(`--task-type: "${taskType}" is not one of ${taskTypes.join(', ')}`);
    const providerId = (values.provider ?? 'openai-compatible') as ProviderId;
    if (providerId === 'vscode-lm' || !providerIds.includes(providerId)) throw new CliError(`--provider: "${values.provider}" is not one of openai-compatible, anthropic (VS Code's models are reachable from VS Code only)`);
    const timeoutSeconds = values.timeout === undefined ? 60 : Number(values.timeout);
    if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) throw new CliError(`--timeout: "${values.timeout}" is not a positive number of seconds`);
    const waitVerdict = values['wait-verdict'] === undefined ? undefined : Number(values['wait-verdict']);
    if (waitVerdict !== undefined && !(Number.isFinite(waitVerdict) && waitVerdict >= 0 && waitVerdict <= 86_400)) {
      throw new CliError(`--wait-verdict: "${values['wait-verdict']}" is not a number of seconds from 0 to 86400`);
    }
    const baseUrl = (values['base-url'] ?? (providerId === 'anthropic' ? 'https://api.anthropic.com' : 'http://localhost:11434/v1')).replace(/\/+$/, '');
    if (!/^https?:\/\/[^/]/.test(baseUrl)) throw new CliError(`--base-url: "${baseUrl}" is not an http:// or https:// URL`);
    const model = values.model ?? (providerId === 'anthropic' ? 'claude-sonnet-4-5' : 'llama3.2');

    const task = await readTask(taskType, values.task, values.file, values.lines);
    const learner = readLearnerSettings(values.settings !== undefined ? ((await readJsonFile(values.settings, '--settings')) as object) : {});
    for (const problem of learner.problems) io.stderr(`paramloop plan: ${problem}\n`);
    let constraints: ModelConstraints;
    try {
      constraints = new ModelConstraints(values.constraints !== undefined ? parseModelConstraints(await readJsonFile(values.constraints, '--constraints'), values.constraints) : []);
    } catch (error) {
      if (error instanceof CliError) throw error;
      throw new CliError(`--constraints: ${error instanceof Error ? error.message : String(error)}`);
    }
    const apiKey = process.env.PARAMLOOP_API_KEY ?? (providerId === 'anthropic' ? process.env.ANTHROPIC_API_KEY : process.env.OPENAI_API_KEY);
    if (providerId === 'anthropic' && !apiKey) throw new CliError('no API key for Anthropic: set PARAMLOOP_API_KEY or ANTHROPIC_API_KEY');
    const provider: LlmProvider =
      providerId === 'anthropic'
        ? createAnthropicProvider({ baseUrl, apiKey: apiKey ?? '', constraints })
        : createOpenAiCompatibleProvider({ baseUrl, ...(apiKey ? { apiKey } : {}), constraints });

    const connection = await connectLearner(values.db, learner.settings);
    try {
      const space = learner.settings.space;
      const run = await runPlan(
        { service: connection, provider, space, model, health: new ProviderHealth(), sessionKey: `cli-${process.pid}-${Date.now()}` },
        task,
        { idleTimeoutMs: timeoutSeconds * 1000, ...(values.json ? {} : { onText: (text: string) => io.stdout(text) }) },
      );
      // The plan ends its line before anything else is said (a prompt would overwrite it).
      if (!values.json && run.text !== '' && !run.text.endsWith('\n')) io.stdout('\n');
      const verdict = run.error ? undefined : await awaitVerdict(io, { json: values.json, waitSeconds: waitVerdict, hint: `paramloop feedback --db ${values.db} --request ${run.requestId} --verdict accept|reject|rate:N` });
      const recorded = await run.record(verdict?.verdict, verdict?.rating);
      const servedBy = connection.serving.thisProcess ? { pid: process.pid, kind: 'cli', thisProcess: true } : { pid: connection.serving.pid, kind: connection.serving.kind, thisProcess: false };
      if (values.json) {
        const o = run.outcome;
        io.stdout(
          `${JSON.stringify({
            requestId: run.requestId,
            armId: run.decision.armId,
            params: run.decision.params,
            honoured: run.mapping.honoured,
            dropped: run.mapping.dropped,
            propensity: run.decision.propensity,
            phase: run.decision.phase,
            servedBy: { policy: run.decision.servedBy, process: servedBy },
            model: run.model,
            plan: run.text,
            checks: { quality: run.report.quality, problems: run.report.problems },
            outcome: {
              latencyMs: o.latencyMs,
              timeToFirstTokenMs: o.timeToFirstTokenMs ?? null,
              tokensIn: o.tokensIn,
              tokensOut: o.tokensOut,
              finishReason: o.finishReason,
              error: run.error ? { kind: run.error.kind, message: run.error.message } : null,
            },
            reward: recorded.report.reward,
          })}\n`,
        );
      } else {
        io.stderr(`paramloop plan: request ${run.requestId}, ${run.decision.servedBy} arm ${run.decision.armId} (${run.decision.phase}), reward ${recorded.report.reward.toFixed(3)}${!run.error && run.report.problems.length > 0 ? `; checks: ${run.report.problems.join('; ')}` : ''}\n`);
      }
      if (run.error) {
        if (!values.json) io.stderr(`paramloop plan: ${run.error.kind}: ${run.error.message}\n`);
        return 1;
      }
      return 0;
    } catch (error) {
      if (error instanceof PlanRefusedError) throw new CliError(error.message, 1);
      throw error;
    } finally {
      await connection.close();
    }
  },
};

async function readTask(taskType: PlanTask['taskType'], text: string | undefined, file: string | undefined, lines: string | undefined): Promise<PlanTask> {
  const task: PlanTask = { taskType, text: text ?? '', workspaceKind: 'none' };
  if (file !== undefined) {
    let content: string;
    try {
      content = await readFile(file, 'utf8');
    } catch (error) {
      throw new CliError(`--file ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : error instanceof Error ? error.message : String(error)}`);
    }
    task.source = { path: relative(process.cwd(), file) || file, languageId: languageByExtension[extname(file).toLowerCase()] ?? 'plaintext', text: content };
    if (lines !== undefined) {
      const m = /^(\d+)(?:-(\d+))?$/.exec(lines);
      if (!m) throw new CliError(`--lines: "${lines}" is not a line range such as 10-24`);
      task.source.selection = { startLine: Number(m[1]), endLine: Number(m[2] ?? m[1]) };
    }
  } else if (lines !== undefined) {
    throw new CliError('--lines needs --file');
  }
  return task;
}

/**
 * The verdict on a plan, when one is given before its outcome is recorded: asked at the terminal,
 * or (`waitSeconds`, without a terminal) none here, the outcome waiting while `paramloop feedback`
 * gives one to the learner, which merges it into the outcome then recorded.
 */
async function awaitVerdict(io: CliIo, options: { json: boolean; waitSeconds: number | undefined; hint: string }): Promise<Feedback | undefined> {
  if (io.ask !== undefined && !options.json && options.waitSeconds !== 0) {
    for (;;) {
      const answer = (await io.ask('Verdict on this plan? a: accept, r: reject, 1-5: rate, Enter: none > ', (options.waitSeconds ?? 300) * 1000))?.trim().toLowerCase();
      if (answer === undefined || answer === '') return undefined;
      const verdict = verdictAnswer(answer);
      if (verdict !== undefined) return verdict;
      io.stderr(`"${answer}" is not a, r, accept, reject or a rating from 1 to 5\n`);
    }
  }
  if (options.waitSeconds === undefined || options.waitSeconds === 0) return undefined;
  io.stderr(`paramloop plan: the outcome waits ${options.waitSeconds} s for a verdict: ${options.hint}\n`);
  await new Promise((resolve) => setTimeout(resolve, options.waitSeconds! * 1000));
  return undefined;
}

/** A verdict typed at the prompt: a, r, accept, reject, 1–5 or rate:N; undefined for anything else. */
export function verdictAnswer(answer: string): Feedback | undefined {
  if (answer === 'a' || answer === 'accept') return { verdict: 'accept' };
  if (answer === 'r' || answer === 'reject') return { verdict: 'reject' };
  const m = /^(?:rate:)?([1-5])$/.exec(answer);
  return m ? { rating: Number(m[1]) } : undefined;
}
