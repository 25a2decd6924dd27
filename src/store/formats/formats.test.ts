// Exports and import: the JSONL round trip is lossless, DSJSON lines carry exactly what Vowpal
// Wabbit reads, CSV quoting follows RFC 4180, and a bad import names its lines and changes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Decision } from '../../core/types';
import type { LoggedDecision } from '../events';
import { openStore } from '../store';
import { seededRandom, syntheticEvent } from '../testing/synthetic';
import { csvColumns, csvField, csvLines } from './csv';
import { dsjsonLines, dsjsonObject } from './dsjson';
import { ImportError, jsonlLines, parseJsonl } from './jsonl';
import { tempDir } from '../testing/tempDir';

const wasmDir = join(__dirname, '..', '..', '..', 'node_modules', 'sql.js', 'dist');

/**
 * Makes `decision` one that a budget restricted to `arms` (and the arm it served): the other arms'
 * probabilities are 0, the rest scaled to sum to 1, as the optimizer logs a masked draw.
 */
function restrict(decision: Decision, arms: readonly number[]): void {
  const eligible = [...new Set([...arms, decision.armIndex])].sort((a, b) => a - b);
  const kept = decision.probabilities.map((p, a) => (eligible.includes(a) ? p : 0));
  const total = kept.reduce((sum, p) => sum + p, 0);
  decision.probabilities = kept.map((p) => p / total);
  decision.propensity = decision.probabilities[decision.armIndex] ?? 0;
  decision.eligibleArms = eligible;
}

/**
 * 30 decisions: 25 with outcome and reward, 3 with an outcome but no reward, 2 still waiting.
 * Decision 5 carries every optional field; decisions 8 and 29 a session key, 8 an eligibility mask.
 */
function sampleLog(): LoggedDecision[] {
  const random = seededRandom(11);
  return Array.from({ length: 30 }, (_, i) => {
    const { decision, outcome, reward } = syntheticEvent(i + 1, random);
    if (i === 4) {
      decision.waivers = ['w-1', 'w-2'];
      decision.params = { ...decision.params, stop: ['\n\n', '"END"'], model: 'llama,3', reasoningEffort: 'low' };
      outcome.error = 'rate limited, retried';
      outcome.rating = 4;
      outcome.cost = 0.0012;
      outcome.defaulted = false;
      restrict(decision, [0, 2, 5]);
      decision.sessionKey = 'session-1-4';
    }
    if (i === 7) {
      restrict(decision, []);
      decision.sessionKey = 'session, "quoted"';
    }
    if (i === 28) decision.sessionKey = 'session-1-9';
    if (i >= 28) return { decision };
    if (i >= 25) return { decision, outcome };
    return { decision, outcome, reward };
  });
}

test('JSONL export → import → export is byte-identical and every record comes back deep-equal (30 decisions)', async (t) => {
  const dir = await tempDir(t, 'formats');
  const original = sampleLog();
  const source = await openStore(join(dir, 'a'), { wasmDir });
  for (const { decision, outcome, reward } of original) {
    source.appendDecision(decision);
    if (outcome !== undefined) source.appendOutcome(outcome, reward);
  }
  const exported = `${[...jsonlLines(source.iterateLogged())].join('\n')}\n`;
  await source.close();
  assert.equal(exported.split('\n').length, 1 + 30 + 1);

  const target = await openStore(join(dir, 'b'), { wasmDir });
  assert.deepEqual(await target.importJsonl(exported), { imported: 30, alreadyStored: 0, outcomesAdded: 0 });
  assert.deepEqual([...target.iterateLogged({}, 7)], original);
  assert.equal(`${[...jsonlLines(target.iterateLogged())].join('\n')}\n`, exported);
  await target.close();
});

test('DSJSON lines carry exactly the fields VW reads, 1-based actions with the chosen one first and p aligned with a', () => {
  const log = sampleLog();
  const catalog = new Map(log.map(({ decision }) => [decision.armIndex, { armId: decision.armId, params: decision.params }]));
  const skipped = { unlabelled: 0 };
  const lines = [...dsjsonLines(log, catalog, skipped)];
  assert.equal(lines.length, 28);
  assert.equal(skipped.unlabelled, 2, 'decisions without an outcome have no label');
  for (const [i, line] of lines.entries()) {
    const { decision, outcome, reward } = log[i] as Required<Pick<LoggedDecision, 'decision' | 'outcome'>> & LoggedDecision;
    const event = JSON.parse(line) as Record<string, unknown>;
    assert.deepEqual(Object.keys(event).sort(), ['EventId', 'Timestamp', 'Version', '_labelIndex', '_label_Action', '_label_cost', '_label_probability', 'a', 'c', 'p']);
    assert.equal(event._label_cost, -(reward?.reward ?? outcome.quality));
    assert.equal(event._label_probability, decision.propensity);
    assert.equal(event._label_Action, decision.armIndex + 1);
    assert.equal(event._labelIndex, decision.armIndex);
    assert.equal(event.EventId, decision.requestId);
    assert.equal(event.Version, '1');
    assert.equal(event.Timestamp, new Date(decision.timestamp).toISOString());
    const a = event.a as number[];
    const p = event.p as number[];
    assert.equal(a[0], decision.armIndex + 1);
    assert.deepEqual([...a].sort((x, y) => x - y), [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.deepEqual(p, a.map((action) => decision.probabilities[action - 1]));
    const c = event.c as { Context: Record<string, number>; _multi: { Arm: Record<string, unknown> }[] };
    assert.deepEqual(Object.keys(c), ['Context', '_multi']);
    assert.deepEqual(Object.keys(c.Context), decision.featureNames);
    assert.equal(c._multi.length, 8);
    assert.equal(c._multi[decision.armIndex]?.Arm.id, decision.armId);
    assert.equal(c._multi[decision.armIndex]?.Arm.temperature, decision.params.temperature);
  }
});

test('DSJSON: a reward of 0.8 is a cost of -0.8; without a reward the cost is minus the quality', () => {
  const [first] = sampleLog();
  assert.ok(first?.outcome !== undefined);
  const withReward = dsjsonObject({ ...first, reward: { reward: 0.8, violations: [] } }, new Map());
  assert.equal(withReward?._label_cost, -0.8);
  const withoutReward = dsjsonObject({ decision: first.decision, outcome: { ...first.outcome, quality: 0.3 } }, new Map());
  assert.equal(withoutReward?._label_cost, -0.3);
});

/** A minimal RFC 4180 reader, to check that what we write reads back as written. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += ch;
  }
  return rows;
}

test('CSV quotes commas, quotes, newlines and edge spaces (RFC 4180) and every row has the header\'s 45 columns', () => {
  assert.equal(csvField('plain'), 'plain');
  assert.equal(csvField('a,b'), '"a,b"');
  assert.equal(csvField('say "hi"'), '"say ""hi"""');
  assert.equal(csvField('two\nlines'), '"two\nlines"');
  assert.equal(csvField(' padded'), '" padded"');
  assert.equal(csvField(undefined), '');
  const log = sampleLog();
  const text = [...csvLines(log)].map((line) => `${line}\r\n`).join('');
  const rows = parseCsv(text);
  assert.equal(csvColumns().length, 45);
  assert.equal(rows.length, 31);
  for (const row of rows) assert.equal(row.length, 45);
  const header = rows[0] ?? [];
  const odd = rows[5] ?? [];
  assert.equal(odd[header.indexOf('model')], 'llama,3');
  assert.equal(odd[header.indexOf('stop')], JSON.stringify(['\n\n', '"END"']));
  assert.equal(odd[header.indexOf('error')], 'rate limited, retried');
  assert.equal(odd[header.indexOf('waivers')], 'w-1;w-2');
  assert.equal(rows[29]?.[header.indexOf('latency_ms')], '', 'no outcome: empty outcome columns');
  assert.equal(odd[header.indexOf('session_key')], 'session-1-4');
  assert.equal(odd[header.indexOf('eligible_arms')], log[4]?.decision.eligibleArms?.join(';'));
  assert.equal(rows[8]?.[header.indexOf('session_key')], 'session, "quoted"');
  assert.equal(rows[8]?.[header.indexOf('eligible_arms')], String(log[7]?.decision.armIndex));
  assert.equal(rows[1]?.[header.indexOf('eligible_arms')], '', 'every arm eligible: empty');
});

test('exports leave prompt text out unless asked to include it', () => {
  const [first] = sampleLog();
  assert.ok(first !== undefined);
  const withPrompt: LoggedDecision = { ...first, decision: { ...first.decision, promptText: 'secret plan' } };
  assert.equal([...jsonlLines([withPrompt])].join('\n').includes('secret plan'), false);
  assert.equal([...csvLines([withPrompt])].join('\n').includes('secret plan'), false);
  assert.equal([...jsonlLines([withPrompt], { includePromptText: true })].join('\n').includes('secret plan'), true);
  assert.equal(csvColumns({ includePromptText: true }).includes('prompt_text'), true);
});

test('a bad import names each bad line and field, and imports nothing at all', async (t) => {
  const dir = await tempDir(t, 'formats');
  const good = [...jsonlLines(sampleLog().slice(0, 3))];
  const broken = JSON.parse(good[2] ?? '{}') as { decision: Record<string, unknown> };
  broken.decision.propensity = 'high';
  const lines = [good[0], good[1], JSON.stringify(broken), '{"decision": ', good[1], good[3]];
  const store = await openStore(dir, { wasmDir });
  await assert.rejects(store.importJsonl(`${lines.join('\n')}\n`), (error: unknown) => {
    assert.ok(error instanceof ImportError);
    assert.deepEqual(
      error.issues.map((i) => [i.line, i.field]),
      [
        [3, 'decision.propensity'],
        [4, ''],
        [5, 'decision.requestId'],
      ],
    );
    assert.match(error.message, /line 3, decision\.propensity: .*number/);
    assert.match(error.message, /line 5, decision\.requestId: 'req-1' already appears on line 2/);
    return true;
  });
  assert.equal(store.decisionCount(), 0);
  await store.close();
});

test('an import without our header, or from a newer format version, is refused on line 1', () => {
  assert.throws(() => parseJsonl('{"decision":{}}\n'), /line 1: not a paramloop\.decisions header/);
  assert.throws(() => parseJsonl('{"format":"paramloop.decisions","version":9}\n'), /line 1, version: format version 9 is newer/);
});

test('JSONL version 3 carries eligibleArms, sessionKey, taskType, randomStream and modelUsed; a version-1 file (without them) still imports', () => {
  const log = sampleLog();
  log[6]!.decision.taskType = 'breakDownTodo';
  log[6]!.decision.randomStream = 6;
  log[6]!.decision.modelUsed = 'gpt-4o-mini';
  const lines = [...jsonlLines(log)];
  assert.equal(JSON.parse(lines[0] ?? '{}').version, 3);
  assert.equal(JSON.parse(lines[7] ?? '{}').decision.modelUsed, 'gpt-4o-mini');
  assert.deepEqual(JSON.parse(lines[5] ?? '{}').decision.eligibleArms, log[4]?.decision.eligibleArms);
  assert.ok((log[4]?.decision.eligibleArms ?? []).length >= 3);
  assert.equal(JSON.parse(lines[5] ?? '{}').decision.sessionKey, 'session-1-4');
  assert.deepEqual(parseJsonl(`${lines.join('\n')}\n`), log);
  const version1 = ['{"format":"paramloop.decisions","version":1,"schemaVersion":2}', ...[...jsonlLines(log.slice(0, 3))].slice(1)];
  assert.deepEqual(parseJsonl(`${version1.join('\n')}\n`), log.slice(0, 3));
  const descending = JSON.parse(lines[5] ?? '{}') as { decision: Record<string, unknown> };
  descending.decision.eligibleArms = [5, 2];
  assert.throws(() => parseJsonl(`${lines[0]}\n${JSON.stringify(descending)}\n`), /line 2, decision\.eligibleArms: must be ascending arm indices without repeats \(5 then 2\)/);
});
