import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DashboardChangedEvent } from '../shared/dashboardProtocol';
import { watchDashboardChanges } from './dashboardChanges';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

test('commits are told at most once per interval, after the last one, with the decision count; nothing after dispose', async () => {
  let commit: ((progress: { decisions: number }) => void) | undefined;
  let decisions = 0;
  const listener = (): void => commit?.({ decisions });
  const source = {
    onCommitted(l: (progress: { decisions: number }) => void) {
      commit = l;
      return () => (commit = undefined);
    },
  };
  const events: DashboardChangedEvent[] = [];
  const feed = watchDashboardChanges(source, (e) => events.push(e), { minIntervalMs: 60 });
  // A burst of commits: the first is told at once (nothing was told before), the rest once, 60 ms later.
  for (let i = 0; i < 5; i++) {
    decisions++;
    listener();
  }
  await sleep(10);
  assert.deepEqual(events.map((e) => e.decisions), [5]);
  for (let i = 0; i < 5; i++) {
    decisions++;
    listener();
    await sleep(5);
  }
  assert.equal(events.length, 1, 'still within the interval');
  await sleep(80);
  assert.deepEqual(events.map((e) => e.decisions), [5, 10]);
  assert.ok(events[1]!.at - events[0]!.at >= 55, `${events[1]!.at - events[0]!.at} ms apart`);
  decisions++;
  listener();
  feed.dispose();
  await sleep(80);
  assert.equal(events.length, 2);
  assert.equal(commit, undefined);
});
