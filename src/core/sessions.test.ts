import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SessionTracker } from './sessions';

const minute = 60_000;

test('a session ends after more than an hour without requests, or after two hours of work', () => {
  const s = new SessionTracker(0);
  // Every 50 minutes: no gap over an hour, so only the two-hour limit starts new sessions.
  const steady = [50, 100, 150, 200, 250].map((m) => s.at(m * minute));
  assert.deepEqual(steady, [0, 0, 1, 1, 1]);
  // 61 minutes of silence: a new session.
  assert.equal(s.at(311 * minute), 2);
  assert.equal(s.at(312 * minute), 2);
  assert.deepEqual(s.toJSON(), { index: 2, startedAt: 311 * minute, lastAt: 312 * minute });
});

test('a tracker restored from its state numbers the next requests as the original does', () => {
  const a = new SessionTracker(0, { gapMs: 10 * minute, maxMs: 30 * minute });
  for (const m of [1, 5, 20, 22]) a.at(m * minute);
  const b = new SessionTracker(0, a.rule, a.toJSON());
  for (const m of [25, 40, 41, 70]) assert.equal(b.at(m * minute), a.at(m * minute));
});
