// The service after kill -9 (issue 11): a child serving simulated requests through the optimizer
// service is killed at random moments (during logging, snapshots of the store and checkpoints of
// the optimizer) 20 times, each run continuing the log of the one before. After every kill, every
// acknowledged decision is in the store, the audit chain verifies, and the optimizer restored from
// its newest checkpoint plus the events after it equals the one rebuilt from every event of the log
// (posterior to 1e-9).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { parsePolicySettings } from '../core/policies';
import { parseRewardSettings } from '../core/reward';
import { createLlmPlanningEnvironment } from '../sim/llmPlanning';
import { bundledWorkerFileName } from '../store/compactor';
import { openStore } from '../store/store';
import { seededRandom } from '../store/testing/synthetic';
import { rebuildGuarded, restoreGuarded } from './restore';

const wasmDir = join(__dirname, '..', '..', 'node_modules', 'sql.js', 'dist');
const env = createLlmPlanningEnvironment();

async function bundle(outDir: string): Promise<string> {
  const outfile = join(outDir, 'serviceWriter.js');
  const common = { bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'warning' } as const;
  await build({ ...common, entryPoints: [join(__dirname, 'testing', 'serviceWriter.ts')], outfile });
  await build({ ...common, entryPoints: [join(__dirname, '..', 'store', 'compactWorker.ts')], outfile: join(outDir, bundledWorkerFileName) });
  return outfile;
}

/** Runs the writer until `killAfterMs` after its first durable commit, then SIGKILLs it. */
function runAndKill(script: string, dir: string, seed: number, killAfterMs: number): Promise<{ committed: number; opened: number; errors: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, dir, String(seed)], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, PARAMLOOP_WASM_DIR: wasmDir } });
    const run = { committed: 0, opened: -1, errors: [] as string[] };
    let buffered = '';
    let timer: NodeJS.Timeout | undefined;
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const committed = /^committed (\d+)$/.exec(line);
        if (committed?.[1] !== undefined) {
          run.committed = Number(committed[1]);
          timer ??= setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        } else if (line.startsWith('opened ')) run.opened = Number(line.slice(7));
        else if (line.startsWith('notice info') || line.includes('torn')) continue;
        else if (line.length > 0) run.errors.push(line);
      }
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      if (timer !== undefined) clearTimeout(timer);
      if (signal !== 'SIGKILL') reject(new Error(`the writer exited without being killed: ${run.errors.join('\n')}`));
      else resolve(run);
    });
  });
}

const options = {
  space: env.space,
  policyKind: 'thompson' as const,
  policySettings: parsePolicySettings({}),
  rewardSettings: parseRewardSettings({}),
  clock: { now: () => 0 },
  keepAuditEntries: false,
  budget: { defaultLimits: { daily: 70_000, weekly: null } },
};

test('20 kill -9s of a process serving through the optimizer service: nothing acknowledged is lost, the audit chain verifies, and the restored optimizer equals the one rebuilt from the log', { timeout: 600_000 }, async () => {
  const root = await mkdtemp(join(tmpdir(), 'paramloop-service-kill-'));
  const dir = join(root, 'log');
  const random = seededRandom(23);
  try {
    const script = await bundle(root);
    let previous = 0;
    for (let round = 1; round <= 20; round++) {
      const run = await runAndKill(script, dir, round, Math.floor(random() * 400));
      assert.deepEqual(run.errors, [], `round ${round}`);
      assert.ok(run.opened >= previous, `round ${round}: opened with ${run.opened} decisions, ${previous} were acknowledged before`);
      const store = await openStore(dir, { wasmDir, readOnly: true });
      try {
        const count = store.decisionCount();
        assert.ok(count >= run.committed, `round ${round}: ${count} decisions stored, ${run.committed} acknowledged`);
        previous = run.committed;
        const source = { checkpoints: () => store.checkpoints(), eventsAfter: (after: number) => store.eventsAfter(after), iterateLogged: () => store.iterateLogged() };
        const restored = await restoreGuarded(source, options, 0);
        const rebuilt = await rebuildGuarded(source, options);
        assert.deepEqual(restored.notices, [], `round ${round}: restoring found problems`);
        assert.deepEqual(rebuilt.notices, [], `round ${round}: the log does not rebuild cleanly (audit chain?)`);
        assert.ok(restored.checkpointSeq > 0 || round === 1, `round ${round}: restored from a checkpoint`);
        const a = restored.guarded.toJSON();
        const b = rebuilt.guarded.toJSON();
        assert.equal(a.optimizer.learned.version, b.optimizer.learned.version, `round ${round}`);
        assert.deepEqual(a.rollout, b.rollout, `round ${round}`);
        assert.deepEqual(a.audit, b.audit, `round ${round}`);
        const ma = a.optimizer.learned.scorer?.models[0]?.b ?? [];
        const mb = b.optimizer.learned.scorer?.models[0]?.b ?? [];
        assert.ok(ma.length > 0 && ma.every((v, i) => Math.abs(v - mb[i]!) <= 1e-9 * Math.max(1, Math.abs(v))), `round ${round}: posterior`);
      } finally {
        await store.close();
      }
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
