// A planning request's own cost, besides the LLM's: with 300k decisions in the log (the service in
// process, as in the window that serves), each request runs end to end through `runPlan` against the
// simulated OpenAI-compatible server on 127.0.0.1 with no generation delay. Reported:
// - overhead: the request's wall time minus the time spent inside the provider's stream (recommend,
//   the arm mapped onto the model, the prompt, logging the decision, checking the plan), p50/p99,
//   target p99 < 2 ms; the simulated server answers with its headers at once and takes 20 ms to its
//   first token, during which the decision's durable write (sent once the server accepted the
//   request, with the mapping as sent) completes, as it does with any real model; with
//   `record`, the outcome's durable write added;
// - delay before the first token: from the call until the provider is asked (what Paramloop adds
//   in front of the request), p50/p99, target < 5 ms.
// The overhead is measured once the process is warm; `coldOverheadMs` (its first 200 requests) and
// `isolatedOverheadMs` (requests 100 ms apart, as a user's are, each finding the process idle) next to it.
// `PARAMLOOP_BENCH_PLANNING_DECISIONS` sets the log's size.
import type { BenchSection } from './sections';
import { blockP99, quantiles } from './latency';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parsePolicySettings } from '../src/core/policies';
import { parseRewardSettings } from '../src/core/reward';
import type { LlmProvider, LlmRequest, LlmResult } from '../src/llm/provider';
import { ModelConstraints } from '../src/llm/modelConstraints';
import { createOpenAiCompatibleProvider } from '../src/llm/openaiCompatible';
import { PlanArmsCache, ProviderHealth, runPlan } from '../src/planning/runPlan';
import type { PlanTask } from '../src/planning/task';
import { connect } from '../src/service/connection';
import { OptimizerService, type ServiceSettings } from '../src/service/optimizerService';
import type { PlanService } from '../src/planning/runPlan';
import { createLlmPlanningEnvironment } from '../src/sim/llmPlanning';
import { runRollout, SimulatedClock } from '../src/sim/runRollout';
import { spawn } from 'node:child_process';
import { once } from 'node:events';

const wasmDir = fileURLToPath(new URL('../node_modules/sql.js/dist', import.meta.url));
const env = createLlmPlanningEnvironment();
// The log is written by LinUCB (300k Thompson decisions, with their Monte Carlo propensities, take
// minutes to write); the window serves with the product's default policy, Thompson sampling, which
// it rebuilds from the log as it opens (a checkpoint of another policy is set aside), or with the
// policy `PARAMLOOP_BENCH_PLANNING_POLICY` names (thompson or linucb).
const policyKind = process.env.PARAMLOOP_BENCH_PLANNING_POLICY === 'linucb' ? 'linucb' : 'thompson';
// Within budget, as a user's requests are (1,200 requests in one day would spend the default budget,
// and a spent budget audits, durably, every request it restricts).
const writerSettings: ServiceSettings = {
  space: env.space,
  policyKind: 'linucb',
  policySettings: parsePolicySettings({}),
  rewardSettings: parseRewardSettings({}),
  guarded: { budget: { defaultLimits: { daily: null, weekly: null } } },
};
const settings: ServiceSettings = { ...writerSettings, policyKind };
/**
 * Requests before the overhead is measured (the process's first requests run while V8 still compiles
 * the path on background threads, which on two cores compete with the request: `warmUpCurve`, the
 * p99 of each 500, shows when that ends; the first 200 are reported apart), and those measured.
 */
const warmUpRequests = 3000;
const measuredRequests = 2000;
/** Requests sent one at a time with a pause before each, after the measured ones, as a user's are. */
const isolatedRequests = 100;
const isolatedGapMs = 100;

/** The provider, timed: when it was asked, and how long its stream took. */
class TimedProvider implements LlmProvider {
  asked = 0;
  inside = 0;
  constructor(private readonly inner: LlmProvider) {}
  get id(): LlmProvider['id'] {
    return this.inner.id;
  }
  family(model: string): string {
    return this.inner.family(model);
  }
  map(...args: Parameters<LlmProvider['map']>): ReturnType<LlmProvider['map']> {
    return this.inner.map(...args);
  }
  async stream(request: LlmRequest): Promise<LlmResult> {
    this.asked = performance.now();
    try {
      return await this.inner.stream(request);
    } finally {
      this.inside = performance.now() - this.asked;
    }
  }
}

/** Starts bench/simServerProcess.ts; `close` ends it. */
async function simServerProcess(firstTokenMs: number): Promise<{ openAiBaseUrl: string; close(): Promise<void> }> {
  const script = fileURLToPath(new URL('../bench/simServerProcess.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, String(firstTokenMs)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  let out = '';
  child.stdout.setEncoding('utf8');
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      const m = /^listening (\S+)$/m.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`the simulator process exited (${String(code)}) before it listened`)));
  });
  return {
    openAiBaseUrl: url,
    async close() {
      child.stdin.end();
      await exited;
    },
  };
}

export const planningSection: BenchSection = {
  name: 'planning',
  async run() {
    const decisions = Number(process.env.PARAMLOOP_BENCH_PLANNING_DECISIONS ?? 300_000);
    const dir = await mkdtemp(join(tmpdir(), 'paramloop-bench-planning-'));
    // 20 ms before the first token: less than any real model takes, enough for the decision's durable
    // write (sent alongside the request) to finish meanwhile, as it does with a real model. In a
    // process of its own, as a model server is.
    const sim = await simServerProcess(20);
    try {
      const clock = new SimulatedClock(Date.UTC(2026, 0, 5, 9));
      const writer = await OptimizerService.open(dir, writerSettings, { clock, seed: 1, store: { wasmDir }, syncEvery: 1000 });
      runRollout({ environment: env, policy: writerSettings.policyKind, policySettings: settings.policySettings, rewardSettings: settings.rewardSettings, rounds: decisions, seed: 1, resume: { optimizer: writer.guarded, clock } });
      await writer.close();

      // The service as the window that serves it: each operation answered once durable.
      const opening = performance.now();
      const service = await connect(dir, { settings, open: { clock: { now: () => Date.now() }, store: { wasmDir } }, kind: 'extension', rehearse: false });
      const openMs = performance.now() - opening;
      const planService: PlanService = service;
      const provider = new TimedProvider(createOpenAiCompatibleProvider({ baseUrl: sim.openAiBaseUrl, constraints: new ModelConstraints() }));
      const deps = { service: planService, provider, space: env.space, model: 'sim-planner', health: new ProviderHealth(), sessionKey: 'bench', armsCache: new PlanArmsCache(provider, env.space) };
      const source = Array.from({ length: 200 }, (_, i) => `const value${i} = compute(${i});`).join('\n');
      const tasks: PlanTask[] = [
        { taskType: 'planTask', text: 'add a CSV export', workspaceKind: 'folder' },
        { taskType: 'planSelection', text: 'extract a function', source: { path: 'a.ts', languageId: 'typescript', text: source, selection: { startLine: 20, endLine: 40 } }, workspaceKind: 'folder' },
        { taskType: 'planTests', text: '', source: { path: 'a.ts', languageId: 'typescript', text: source }, workspaceKind: 'folder' },
      ];
      const overheadWithRecord: number[] = [];
      const beforeFirstToken: number[] = [];
      const all: number[] = [];
      const isolated: number[] = [];
      try {
        for (let i = 0; i < warmUpRequests + measuredRequests + isolatedRequests; i++) {
          const isolatedOne = i >= warmUpRequests + measuredRequests;
          if (isolatedOne) await new Promise((resolve) => setTimeout(resolve, isolatedGapMs));
          const t0 = performance.now();
          const run = await runPlan(deps, tasks[i % tasks.length]!);
          const t1 = performance.now();
          await run.record();
          const t2 = performance.now();
          if (run.error) throw run.error;
          if (isolatedOne) {
            isolated.push(t1 - t0 - provider.inside);
            continue;
          }
          all.push(t1 - t0 - provider.inside);
          if (i < warmUpRequests) continue;
          overheadWithRecord.push(t2 - t0 - provider.inside);
          beforeFirstToken.push(provider.asked - t0);
        }
      } finally {
        await service.close();
      }
      return {
        targets: { overheadP99Ms: 2, beforeFirstTokenMs: 5 },
        policyKind,
        openAndRebuildMs: Math.round(openMs),
        decisionsInLog: decisions,
        overheadMs: { ...quantiles(all.slice(warmUpRequests)), afterRequests: warmUpRequests },
        coldOverheadMs: quantiles(all.slice(0, 200)),
        isolatedOverheadMs: { ...quantiles(isolated), gapMs: isolatedGapMs },
        warmUpCurve: { blockSize: 500, p99: blockP99(all, 500) },
        overheadWithDurableOutcomeMs: quantiles(overheadWithRecord),
        beforeFirstTokenMs: quantiles(beforeFirstToken),
      };
    } finally {
      await sim.close();
      await rm(dir, { recursive: true, force: true });
    }
  },
};
