import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ObpFormatError, parseObpText } from './obpFormat';

const good = (overrides: Record<string, unknown> = {}): string =>
  JSON.stringify({ action: 1, reward: 0.5, pscore: 0.25, action_dist: [0.2, 0.3, 0.5], estimated_rewards: [0.1, 0.2, 0.3], ...overrides });

function failure(lines: string[]): ObpFormatError {
  try {
    parseObpText(lines.join('\n'));
  } catch (error) {
    if (error instanceof ObpFormatError) return error;
    throw error;
  }
  assert.fail('expected an ObpFormatError');
}

function assertFails(lines: string[], line: number, field: string, reason: RegExp): void {
  const error = failure(lines);
  assert.equal(error.line, line);
  assert.equal(error.field, field);
  assert.match(error.message, reason);
  assert.match(error.message, new RegExp(`^line ${line}: `));
}

test('well-formed lines fill the typed arrays row-major; extra keys and blank lines are ignored', () => {
  const rounds = parseObpText([good(), '', good({ action: 2, reward: 1, pscore: 1, context: [1, 2], action_dist: [0, 0, 1] }), ''].join('\n'));
  assert.equal(rounds.n, 2);
  assert.equal(rounds.k, 3);
  assert.deepEqual(Array.from(rounds.actions), [1, 2]);
  assert.deepEqual(Array.from(rounds.rewards), [0.5, 1]);
  assert.deepEqual(Array.from(rounds.pscores), [0.25, 1]);
  assert.deepEqual(Array.from(rounds.actionDist), [0.2, 0.3, 0.5, 0, 0, 1]);
  assert.deepEqual(Array.from(rounds.estimatedRewards), [0.1, 0.2, 0.3, 0.1, 0.2, 0.3]);
  assert.ok(rounds.actions instanceof Int32Array && rounds.actionDist instanceof Float64Array);
});

test('more than 1024 rounds grow the arrays without losing any round', () => {
  const lines = Array.from({ length: 2500 }, (_, i) => good({ action: i % 3, reward: i }));
  const rounds = parseObpText(lines.join('\n'));
  assert.equal(rounds.n, 2500);
  assert.equal(rounds.rewards[2499], 2499);
  assert.equal(rounds.actions[2498], 2498 % 3);
  assert.equal(rounds.actionDist.length, 2500 * 3);
});

test('pscore 0 or above 1 is refused naming the line and "pscore"', () => {
  assertFails([good(), good({ pscore: 0 })], 2, 'pscore', /\(0, 1\], got 0/);
  assertFails([good({ pscore: 1.5 })], 1, 'pscore', /got 1\.5/);
  assertFails([good({ pscore: -0.1 })], 1, 'pscore', /got -0\.1/);
});

test('an action outside 0..K−1 or not an integer is refused naming "action"', () => {
  assertFails([good(), good(), good({ action: 3 })], 3, 'action', /3 is outside 0\.\.2/);
  assertFails([good({ action: -1 })], 1, 'action', /outside/);
  assertFails([good({ action: 1.5 })], 1, 'action', /integer/);
});

test('K differing from the first line is refused naming "action_dist" or "estimated_rewards"', () => {
  assertFails([good(), good({ action_dist: [0.5, 0.5] })], 2, 'action_dist', /2 entries, but K = 3 \(from line 1\)/);
  assertFails([good(), good({ estimated_rewards: [0, 0, 0, 0] })], 2, 'estimated_rewards', /4 entries, but K = 3/);
  assertFails([good({ estimated_rewards: [0, 0] })], 1, 'estimated_rewards', /2 entries/);
});

test('a distribution not summing to 1 within 1e-6 is refused; 1 + 5e-7 is accepted', () => {
  assertFails([good({ action_dist: [0.2, 0.3, 0.6] })], 1, 'action_dist', /sums to 1\.1/);
  assertFails([good({ action_dist: [0.2, 0.3, 0.499998] })], 1, 'action_dist', /not 1/);
  assertFails([good({ action_dist: [1.2, -0.2, 0] })], 1, 'action_dist', /entry 0 is 1\.2/);
  assert.equal(parseObpText(good({ action_dist: [0.2, 0.3, 0.5000005] })).n, 1);
});

test('NaN and Infinity (as Python writes them) are refused naming the field that holds them', () => {
  assertFails([good(), '{"action": 1, "reward": NaN, "pscore": 0.5, "action_dist": [0.2, 0.3, 0.5], "estimated_rewards": [0, 0, 0]}'], 2, 'reward', /finite number, got NaN/);
  assertFails(['{"action": 1, "reward": 1, "pscore": 0.5, "action_dist": [0.2, 0.3, 0.5], "estimated_rewards": [0, -Infinity, 0]}'], 1, 'estimated_rewards', /entry 1 .* got -Infinity/);
  assertFails(['{"action": 1, "reward": 1, "pscore": Infinity, "action_dist": [0.2, 0.3, 0.5], "estimated_rewards": [0, 0, 0]}'], 1, 'pscore', /got Infinity/);
});

test('a number beyond the range of a double (1e999) is named as such, not as null', () => {
  assertFails(['{"action": 1, "reward": 1e999, "pscore": 0.5, "action_dist": [0.2, 0.3, 0.5], "estimated_rewards": [0, 0, 0]}'], 1, 'reward', /must be a finite number, got a number beyond ±1\.8e308 \(read as Infinity\)$/);
  assertFails(['{"action": 1, "reward": 1, "pscore": 0.5, "action_dist": [0.2, 0.3, 0.5], "estimated_rewards": [0, -1e999, 0]}'], 1, 'estimated_rewards', /entry 1 must be a finite number, got a number beyond ±1\.8e308 \(read as -Infinity\)$/);
});

test('rewards and reward predictions beyond ±1e12 are refused: at ±1e308 the estimators\' sums overflow', () => {
  assertFails([good(), good({ reward: 1e308 })], 2, 'reward', /is 1e\+308; rewards beyond ±1e\+12 are refused/);
  assertFails([good({ reward: -1e308 })], 1, 'reward', /is -1e\+308/);
  assertFails([good({ estimated_rewards: [0, 2e12, 0] })], 1, 'estimated_rewards', /entry 1 is 2000000000000/);
  assert.equal(parseObpText(good({ reward: -1e12 })).rewards[0], -1e12, 'the bound itself is accepted');
});

test('a byte-order mark before the first line is not part of its JSON', () => {
  assert.equal(parseObpText(`\ufeff${good()}\n${good()}`).n, 2);
});

test('missing fields, wrong types and malformed JSON are refused with the line number', () => {
  assertFails([good(), '{"action": 1, "reward": 1, "action_dist": [0.2, 0.3, 0.5], "estimated_rewards": [0, 0, 0]}'], 2, 'pscore', /missing/);
  assertFails(['{"action": 1, "reward": 1, "pscore": 0.5, "estimated_rewards": [0, 0, 0]}'], 1, 'action_dist', /missing/);
  assertFails([good({ reward: '1' })], 1, 'reward', /finite number, got "1"/);
  assertFails([good({ action_dist: 'x' })], 1, 'action_dist', /array/);
  assertFails([good(), good(), good(), '{"action": 1, "reward": '], 4, 'line', /malformed JSON/);
  assertFails(['[1, 2, 3]'], 1, 'line', /JSON object/);
});

test('an input without rounds is refused', () => {
  assert.throws(() => parseObpText('\n\n'), /no rounds/);
});
