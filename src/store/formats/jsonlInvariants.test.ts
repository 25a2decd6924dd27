// Importing a JSONL export checks what a logged decision must satisfy to be evaluated, not only the
// types of its fields: each broken record is refused naming its line (1-based) and field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Decision } from '../../core/types';
import { openStore } from '../store';
import { seededRandom, syntheticEvent } from '../testing/synthetic';
import { tempDir } from '../testing/tempDir';
import { ImportError, jsonlLines, parseJsonl } from './jsonl';

const wasmDir = join(__dirname, '..', '..', '..', 'node_modules', 'sql.js', 'dist');

/** A sound export of 12 decisions (the header is line 1, decision i is line i + 2). */
function soundLines(): string[] {
  const random = seededRandom(5);
  return [...jsonlLines(Array.from({ length: 12 }, (_, i) => syntheticEvent(i + 1, random)))];
}

/** The export with line `line` (1-based) changed by `change`. */
function withLine(line: number, change: (decision: Decision) => void): string {
  const lines = soundLines();
  const record = JSON.parse(lines[line - 1] ?? '{}') as { decision: Decision };
  change(record.decision);
  lines[line - 1] = JSON.stringify(record);
  return `${lines.join('\n')}\n`;
}

function issuesOf(text: string): [number, string, string][] {
  try {
    parseJsonl(text);
  } catch (error) {
    if (error instanceof ImportError) return error.issues.map((i) => [i.line, i.field, i.message]);
    throw error;
  }
  assert.fail('the import was accepted');
}

test('the sound export is accepted (the cases below each break one thing)', () => {
  assert.equal(parseJsonl(`${soundLines().join('\n')}\n`).length, 12);
});

test('propensity 0 is refused: the served arm was drawn, so its probability was positive', () => {
  const issues = issuesOf(
    withLine(4, (d) => {
      d.probabilities = d.probabilities.map((_, a) => (a === d.armIndex ? 0 : 0));
      d.probabilities[(d.armIndex + 1) % d.probabilities.length] = 1;
      d.propensity = 0;
    }),
  );
  assert.deepEqual(issues.map(([line, field]) => [line, field]), [[4, 'decision.propensity']]);
  assert.match(issues[0]?.[2] ?? '', /must be in \(0, 1\]/);
});

test('a propensity that disagrees with probabilities[armIndex] is refused', () => {
  const issues = issuesOf(withLine(5, (d) => (d.propensity = Math.min(1, d.propensity * 2))));
  assert.deepEqual(issues.map(([line, field]) => [line, field]), [[5, 'decision.propensity']]);
  assert.match(issues[0]?.[2] ?? '', /but probabilities\[\d\], the probability of arm \d, is 0\.\d+/);
});

test('probabilities summing to more than 1 (8 here: every entry 1) are refused; entries above 1 are named one by one', () => {
  const issues = issuesOf(withLine(6, (d) => (d.probabilities = d.probabilities.map(() => 1))));
  assert.deepEqual(issues.map(([line, field]) => [line, field]), [
    [6, 'decision.probabilities'],
    [6, 'decision.propensity'],
  ]);
  assert.match(issues[0]?.[2] ?? '', /^sums to 8, not 1/);
  const threes = issuesOf(withLine(6, (d) => (d.probabilities = d.probabilities.map(() => 3))));
  assert.deepEqual(threes[0]?.slice(0, 2), [6, 'decision.probabilities.0']);
});

test('an armIndex that does not match armId (another line names that index otherwise) is refused', () => {
  const lines = soundLines();
  const records = lines.slice(1).map((line) => JSON.parse(line) as { decision: Decision });
  // Move decision 3 to another arm's index while keeping its own armId; the propensity is made to agree.
  const moved = records[2]!.decision;
  const other = records.find((r) => r.decision.armIndex !== moved.armIndex)!.decision;
  moved.armIndex = other.armIndex;
  moved.propensity = moved.probabilities[other.armIndex]!;
  lines[3] = JSON.stringify(records[2]);
  const issues = issuesOf(`${lines.join('\n')}\n`);
  assert.equal(issues.length, 1, JSON.stringify(issues));
  assert.equal(issues[0]?.[0], 4);
  assert.equal(issues[0]?.[1], 'decision.armIndex');
  assert.match(issues[0]?.[2] ?? '', /an arm index names one arm of the log's parameter space/);
});

test('maxTokens −5 (and other parameters outside what any provider accepts) are refused', () => {
  const issues = issuesOf(withLine(3, (d) => (d.params.maxTokens = -5)));
  assert.deepEqual(issues.map(([line, field]) => [line, field]), [[3, 'decision.params.maxTokens']]);
  assert.equal(issues[0]?.[2], 'must be an integer in [16, 200000], the bounds of every parameter space');
  assert.deepEqual(issuesOf(withLine(3, (d) => (d.params.temperature = 7))).map(([, field]) => field), ['decision.params.temperature']);
});

test('NaN is named as NaN and 1e999 as beyond the range of a number', () => {
  const lines = soundLines();
  lines[2] = (lines[2] ?? '').replace(/"propensity":[-0-9.e]+/, '"propensity":NaN');
  lines[3] = (lines[3] ?? '').replace(/"timestamp":\d+/, '"timestamp":1e999');
  const issues = issuesOf(`${lines.join('\n')}\n`);
  assert.deepEqual(issues, [
    [3, 'decision.propensity', 'must be a finite number, got NaN'],
    [4, 'decision.timestamp', 'must be a finite number, got a number beyond ±1.8e308 (read as Infinity)'],
  ]);
});

test('a UTF-8 byte-order mark before the header is accepted', () => {
  assert.equal(parseJsonl(`\ufeff${soundLines().join('\n')}\n`).length, 12);
});

test('eligibleArms and sessionKey are carried and checked: the served arm must be eligible', () => {
  const text = withLine(3, (d) => {
    d.sessionKey = 'session-1';
    d.eligibleArms = d.probabilities.map((_, a) => a);
  });
  const [, second] = parseJsonl(text);
  assert.equal(second?.decision.sessionKey, 'session-1');
  assert.equal(second?.decision.eligibleArms?.length, 8);
  const issues = issuesOf(withLine(3, (d) => (d.eligibleArms = d.probabilities.map((_, a) => a).filter((a) => a !== d.armIndex))));
  assert.deepEqual(issues.map(([line, field]) => [line, field]), [
    [3, 'decision.eligibleArms'],
    [3, 'decision.probabilities'],
  ]);
});

test('importing into a store: an arm index that names another arm there is refused, and nothing is imported', async (t) => {
  const dir = await tempDir(t, 'jsonl');
  const store = await openStore(dir, { wasmDir });
  try {
    await importConflicting(store);
  } finally {
    await store.close();
  }
});

async function importConflicting(store: Awaited<ReturnType<typeof openStore>>): Promise<void> {
  const random = seededRandom(9);
  const first = syntheticEvent(1, random);
  store.appendDecision(first.decision);
  store.appendOutcome(first.outcome, first.reward);
  // Decision 2 names arm index 0 with another arm's id than the store's arm 0 (if any), here set explicitly.
  const second = syntheticEvent(2, random);
  second.decision.armIndex = first.decision.armIndex;
  second.decision.propensity = second.decision.probabilities[first.decision.armIndex]!;
  second.decision.armId = `${first.decision.armId}-renamed`;
  const text = `${[...jsonlLines([second])].join('\n')}\n`;
  await assert.rejects(store.importJsonl(text), (error: unknown) => {
    assert.ok(error instanceof ImportError);
    assert.deepEqual(
      error.issues.map((i) => [i.line, i.field]),
      [[2, 'decision.armIndex']],
    );
    assert.match(error.message, /here, but '.*' in the store/);
    return true;
  });
  assert.equal(store.decisionCount(), 1);
}
