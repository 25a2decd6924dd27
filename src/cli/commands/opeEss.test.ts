// The effective sample size says how many rounds the estimate really rests on; below max(10, 1% of
// the rounds) `ope` says in words that it is too small to decide, in the text and in --json.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCaptured } from '../testing';

const dir = mkdtempSync(join(tmpdir(), 'paramloop-ope-ess-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * 3,000 rounds, K = 2. The candidate always plays action 1; the logger played it on `matches`
 * rounds only, each with propensity 0.01 (weight 100), and action 0 with propensity 0.99 on the
 * rest (weight 0). With m equal weights the ESS is exactly m.
 */
function skewedFile(name: string, matches: number): string {
  const lines = Array.from({ length: 3000 }, (_, i) => {
    const matched = i % Math.floor(3000 / matches) === 0 && i / Math.floor(3000 / matches) < matches;
    return JSON.stringify({ action: matched ? 1 : 0, reward: matched ? 1 : 0.5, pscore: matched ? 0.01 : 0.99, action_dist: [0, 1], estimated_rewards: [0.5, 0.6] });
  });
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

test('an ESS of 4 in 3,000 rounds is reported in words, in the text and in --json', async () => {
  const path = skewedFile('thin.jsonl', 4);
  const text = await runCaptured(['ope', '--input', path, '--bootstrap', '0']);
  assert.equal(text.code, 0, text.err);
  assert.match(text.out, /^warning: The effective sample size is 4\.0 of 3000 rounds, below 30 \(max\(10, 1% of the rounds\)\): .* Too little evidence to decide/m);
  const json = await runCaptured(['ope', '--input', path, '--bootstrap', '0', '--json']);
  const report = JSON.parse(json.out) as { ess: number; diagnostics: { ess_threshold: number; ess_too_small: boolean }; warnings: string[] };
  assert.ok(Math.abs(report.ess - 4) < 1e-9);
  assert.equal(report.diagnostics.ess_threshold, 30);
  assert.equal(report.diagnostics.ess_too_small, true);
  assert.equal(report.warnings.length, 1);
  assert.match(report.warnings[0] ?? '', /effective sample size is 4\.0/);
});

test('an ESS of 60 in 3,000 rounds (above 1%) gets no warning; below 10 rounds the floor of 10 applies', async () => {
  const path = skewedFile('enough.jsonl', 60);
  const json = await runCaptured(['ope', '--input', path, '--bootstrap', '0', '--json']);
  const report = JSON.parse(json.out) as { ess: number; diagnostics: { ess_threshold: number; ess_too_small: boolean }; warnings: string[] };
  assert.ok(Math.abs(report.ess - 60) < 1e-9);
  assert.deepEqual([report.diagnostics.ess_too_small, report.warnings], [false, []]);
  const text = await runCaptured(['ope', '--input', path, '--bootstrap', '0']);
  assert.doesNotMatch(text.out, /warning/);
  // Five rounds of equal weight: ESS 5, below the floor of 10 whatever the share.
  const small = join(dir, 'small.jsonl');
  writeFileSync(small, `${Array.from({ length: 5 }, () => JSON.stringify({ action: 0, reward: 1, pscore: 0.5, action_dist: [0.5, 0.5], estimated_rewards: [0, 0] })).join('\n')}\n`);
  const few = JSON.parse((await runCaptured(['ope', '--input', small, '--bootstrap', '0', '--json'])).out) as { diagnostics: { ess_threshold: number; ess_too_small: boolean } };
  assert.deepEqual([few.diagnostics.ess_threshold, few.diagnostics.ess_too_small], [10, true]);
});
