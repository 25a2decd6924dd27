// Kill -9 at random moments: a child process logs synthetic decisions through the real store at
// full speed and prints `committed N` each time the journal has durably synced. After each kill the
// store must open cleanly and hold every decision up to the last N the child reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { build } from 'esbuild';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundledWorkerFileName } from './compactor';
import { openStore } from './store';
import { seededRandom, syntheticRequestId, syntheticStartMs } from './testing/synthetic';

const wasmDir = join(__dirname, '..', '..', 'node_modules', 'sql.js', 'dist');
const writerScript = join(__dirname, 'testing', 'logWriter.ts');

interface ChildRun {
  committed: number;
  opened: number;
  notices: string[];
  errors: string[];
}

/** Bundles the writer (and the snapshot worker) into plain scripts: children start without a transpiler. */
async function bundleWriter(outDir: string): Promise<string> {
  const outfile = join(outDir, 'logWriter.js');
  const common = { bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'warning' } as const;
  await build({ ...common, entryPoints: [writerScript], outfile });
  // The snapshot worker, next to the writer where the store looks for it.
  await build({ ...common, entryPoints: [join(__dirname, 'compactWorker.ts')], outfile: join(outDir, bundledWorkerFileName) });
  return outfile;
}

/** Runs the writer until `killAfterMs` after its first durable commit, then SIGKILLs it. */
function runAndKill(script: string, dir: string, seed: number, killAfterMs: number, mode: 'async' | 'sync' = 'async'): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, dir, String(seed), '', ...(mode === 'sync' ? ['sync'] : [])], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, PARAMLOOP_WASM_DIR: wasmDir },
    });
    const run: ChildRun = { committed: 0, opened: -1, notices: [], errors: [] };
    const spawnedAt = performance.now();
    let buffered = '';
    let timer: NodeJS.Timeout | undefined;
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? ''; // a line cut by the kill is not a report
      for (const line of lines) {
        const committed = /^committed (\d+)$/.exec(line);
        if (committed?.[1] !== undefined) {
          run.committed = Number(committed[1]);
          if (timer === undefined && process.env.KILL_DEBUG !== undefined) console.error(`first commit after ${Math.round(performance.now() - spawnedAt)} ms`);
          timer ??= setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        } else if (line.startsWith('opened ')) run.opened = Number(line.slice(7));
        else if (line.startsWith('notice ')) run.notices.push(line);
        else if (line.length > 0) run.errors.push(line);
      }
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      if (timer !== undefined) clearTimeout(timer);
      if (signal !== 'SIGKILL') reject(new Error(`writer exited without being killed: ${run.errors.join('\n')}`));
      else resolve(run);
    });
  });
}

/**
 * `rounds` writers in `mode` killed at random moments: after each kill the store opens (read-only,
 * then writable at the end) with every acknowledged decision and no notice but a torn tail.
 */
async function killRounds(mode: 'async' | 'sync', rounds: number, seed: number): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'paramloop-kill-'));
  const dir = join(root, 'store');
  const random = seededRandom(seed);
  try {
    const script = await bundleWriter(root);
    let previous = 0;
    for (let round = 1; round <= rounds; round++) {
      const killAfterMs = Math.floor(random() * 300);
      const run = await runAndKill(script, dir, round, killAfterMs, mode);
      assert.deepEqual(run.errors, [], `round ${round}: the writer reported errors`);
      // Opening after a kill may drop a torn (unacknowledged) tail, never anything else.
      assert.deepEqual(run.notices.filter((n) => !n.startsWith('notice journal-torn-tail')), [], `round ${round}: unexpected recovery`);
      assert.ok(run.opened >= previous, `round ${round}: the writer opened with ${run.opened} decisions, fewer than the ${previous} acknowledged before`);
      assert.ok(run.committed > run.opened, `round ${round}: nothing was committed before the kill`);

      const store = await openStore(dir, { wasmDir, readOnly: true });
      try {
        assert.deepEqual(store.notices.filter((n) => n.code !== 'journal-torn-tail'), [], `round ${round}: unexpected recovery on reopen`);
        const count = store.decisionCount();
        assert.ok(count >= run.committed, `round ${round}: ${count} decisions stored, ${run.committed} were acknowledged`);
        // Decision n has timestamp start + n s and a unique request id, so decisions 1..N are all
        // present exactly when N decisions have a timestamp up to start + N s.
        const upToN = store.countsByPhase({ until: syntheticStartMs + run.committed * 1000 + 1 }).reduce((sum, c) => sum + c.decisions, 0);
        assert.equal(upToN, run.committed, `round ${round}: of decisions 1..${run.committed}, ${run.committed - upToN} are missing`);
        for (const n of [1, previous + 1, Math.ceil(run.committed / 2), run.committed]) {
          assert.ok(store.hasDecision(syntheticRequestId(n)), `round ${round}: acknowledged decision ${syntheticRequestId(n)} is missing`);
        }
        previous = run.committed;
        if (process.env.KILL_DEBUG) console.error(`round ${round} opened ${run.opened} committed ${run.committed} count ${count} notices ${store.notices.length}`);
      } finally {
        await store.close();
      }
    }
    // Finally a writable open recovers, snapshots on close, and opens again without any notice.
    const store = await openStore(dir, { wasmDir });
    const count = store.decisionCount();
    await store.close();
    const again = await openStore(dir, { wasmDir, readOnly: true });
    assert.equal(again.decisionCount(), count);
    assert.deepEqual(again.notices, []);
    await again.close();
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

test('20 SIGKILLs at random moments lose no acknowledged decision and never leave an unreadable store', { timeout: 600_000 }, async () => {
  await killRounds('async', 20, 20261125);
});

test('10 SIGKILLs of a producer that never yields (as simulate --db), snapshots built meanwhile, lose no acknowledged decision', { timeout: 600_000 }, async () => {
  await killRounds('sync', 10, 20261202);
});
