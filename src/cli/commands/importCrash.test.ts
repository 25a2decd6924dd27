// Kill -9 in the middle of `paramloop import` of 30,000 decisions: the store must hold none of them
// afterwards (an import is one journaled unit), and running the import again must import all of
// them (and, once more, none).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { bundledWorkerFileName } from '../../store/compactor';
import { jsonlLines } from '../../store/formats/jsonl';
import { listSegments } from '../../store/journal';
import { openStore } from '../../store/store';
import { seededRandom, syntheticEvent } from '../../store/testing/synthetic';
import { runCaptured } from '../testing';

const root = join(__dirname, '..', '..', '..');
const wasmDir = join(root, 'node_modules', 'sql.js', 'dist');
const decisions = 30_000;

/** The CLI as it ships: bundled, with the store's worker and sql.js's wasm next to it. */
async function bundleCli(outDir: string): Promise<string> {
  const common = { bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'warning', define: { __PARAMLOOP_VERSION__: '"test"' } } as const;
  const cli = join(outDir, 'cli.js');
  await build({ ...common, entryPoints: [join(root, 'src', 'cli', 'main.ts')], outfile: cli });
  await build({ ...common, entryPoints: [join(root, 'src', 'store', 'compactWorker.ts')], outfile: join(outDir, bundledWorkerFileName) });
  copyFileSync(join(wasmDir, 'sql-wasm.wasm'), join(outDir, 'sql-wasm.wasm'));
  return cli;
}

/** Size of the newest journal segment in `db` (0 while there is none). */
async function journalBytes(db: string): Promise<number> {
  try {
    const segments = await listSegments(db);
    const last = segments[segments.length - 1];
    return last === undefined ? 0 : (await stat(join(db, last.file))).size;
  } catch {
    return 0;
  }
}

/** Runs `import` in a child and SIGKILLs it once the journal holds `killAtBytes`. */
function importAndKill(cli: string, db: string, file: string, killAtBytes: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'import', '--db', db, file], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (stderr += chunk));
    const poll = setInterval(() => {
      void journalBytes(db).then((bytes) => {
        if (bytes >= killAtBytes) child.kill('SIGKILL');
      });
    }, 2);
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      clearInterval(poll);
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`the import ended before the kill: ${stderr}`));
    });
  });
}

test('kill -9 during an import of 30,000 decisions leaves none of them; running it again imports all 30,000, and once more none', { timeout: 300_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'paramloop-import-kill-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const cli = await bundleCli(dir);
  const random = seededRandom(30_000);
  const logged = Array.from({ length: decisions }, (_, i) => syntheticEvent(i + 1, random));
  const file = join(dir, 'log.jsonl');
  const text = `${[...jsonlLines(logged)].join('\n')}\n`;
  await writeFile(file, text);
  const db = join(dir, 'db');

  // A third of the way: several 4,000-event batches are durable, the commit is far off.
  await importAndKill(cli, db, file, Math.floor(Buffer.byteLength(text) / 3));
  const journal = (await Promise.all((await listSegments(db)).map((s) => readFile(join(db, s.file), 'utf8')))).join('');
  const decisionLines = journal.match(/"t":"decision"/g)?.length ?? 0;
  assert.ok(decisionLines >= 4_000 && decisionLines < decisions, `${decisionLines} of the import's decisions were on disk at the kill`);

  const after = await openStore(db, { wasmDir, readOnly: true });
  assert.equal(after.decisionCount(), 0, `${after.decisionCount()} decisions of an import that never finished are in the store`);
  assert.match(journal, /"t":"unitBegin"/);
  assert.doesNotMatch(journal, /"t":"unitCommit"/, 'the kill came before the import committed');
  assert.deepEqual(after.notices.map((n) => n.code).filter((c) => c !== 'journal-torn-tail'), ['journal-unfinished-unit']);
  await after.close();

  const rerun = await runCaptured(['import', '--db', db, file, '--json']);
  assert.equal(rerun.code, 0, rerun.err);
  assert.match(rerun.err, /import \(\d+ decisions so far\) .* was cut short by a crash before its commit and was dropped whole/);
  assert.deepEqual(JSON.parse(rerun.out), { db, imported: decisions, alreadyStored: 0, decisions });
  const exported = join(dir, 'again.jsonl');
  const exportRun = await runCaptured(['export', '--db', db, '--format', 'jsonl', '--out', exported]);
  assert.equal(exportRun.code, 0, exportRun.err);
  const back = (await readFile(exported, 'utf8')).trimEnd().split('\n').slice(1).map((line) => JSON.parse(line) as unknown);
  assert.equal(back.length, decisions);
  assert.deepEqual(back, logged, 'every decision, outcome and reward as the file had it');

  const once = await runCaptured(['import', '--db', db, file, '--json']);
  assert.equal(once.code, 0, once.err);
  assert.deepEqual(JSON.parse(once.out), { db, imported: 0, alreadyStored: decisions, decisions });
});
