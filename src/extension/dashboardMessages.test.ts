import * as assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';

import type { DashboardReply } from '../shared/dashboardProtocol';
import type { DashboardHandlers } from '../shared/dashboardRpc';
import { dashboardFixtures } from '../shared/testing/dashboardFixtures';
import { createDashboardMessageHandler, unavailableDashboardHandlers } from './dashboardMessages';
import { loggedPerMinute as invalidMessagesLoggedPerMinute } from './throttledWarnings';

function fixtureHandlers(overrides: Partial<DashboardHandlers> = {}): DashboardHandlers {
  const handlers = Object.fromEntries(Object.entries(dashboardFixtures).map(([name, result]) => [name, () => result])) as unknown as DashboardHandlers;
  return { ...handlers, ...overrides };
}

function harness(handlers: () => Promise<DashboardHandlers>, post?: (reply: DashboardReply) => unknown) {
  const replies: DashboardReply[] = [];
  const warnings: string[] = [];
  const errors: string[] = [];
  const handle = createDashboardMessageHandler(handlers, post ?? ((reply) => replies.push(reply)), { warn: (m) => warnings.push(m), error: (m) => errors.push(m) });
  return { handle, replies, warnings, errors };
}

describe('the dashboard panel answers every webview message exactly once and never throws', () => {
  it('answers 12 malformed messages with 12 error replies (id kept when readable), each logged as a warning', async () => {
    const h = harness(async () => fixtureHandlers());
    const malformed: unknown[] = [
      null,
      undefined,
      42,
      'overview',
      [],
      {},
      { type: 'request' },
      { type: 'request', id: 1 },
      { type: 'request', id: 2, method: 'dropTables', params: {} },
      { type: 'request', id: 3, method: 'rewardOverTime', params: { buckets: 201 } },
      { type: 'request', id: 4, method: 'runCommand', params: { command: 'workbench.action.terminal.new' } },
      { type: 'request', id: 5, method: 'overview', params: {}, extra: true },
    ];
    for (const raw of malformed) await h.handle(raw);
    assert.equal(h.replies.length, 12);
    assert.ok(h.replies.every((r) => !r.ok));
    assert.deepEqual(
      h.replies.map((r) => r.id),
      [null, null, null, null, null, null, null, 1, 2, 3, 4, 5],
    );
    assert.deepEqual(
      h.replies.map((r) => (r.ok ? 'ok' : r.error.code)),
      ['invalidMessage', 'invalidMessage', 'invalidMessage', 'invalidMessage', 'invalidMessage', 'invalidMessage', 'invalidMessage', 'invalidMessage', 'unknownMethod', 'invalidParams', 'invalidParams', 'invalidMessage'],
    );
    assert.equal(h.warnings.length, 12);
    assert.deepEqual(h.errors, []);
  });

  it('a flood of 10,000 invalid messages gets 10,000 error replies, but the log only the first 20 and then one line a minute with the count', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const h = harness(async () => fixtureHandlers());
      for (let i = 0; i < 10_000; i++) await h.handle({ type: 'request', id: i, method: i % 2 ? 'dropTables' : 'overview', params: i % 2 ? {} : { extra: i } });
      assert.equal(h.replies.length, 10_000);
      assert.ok(h.replies.every((r) => !r.ok));
      assert.equal(h.warnings.length, invalidMessagesLoggedPerMinute);
      mock.timers.tick(60_000);
      assert.equal(h.warnings.length, invalidMessagesLoggedPerMinute + 1);
      assert.match(h.warnings.at(-1)!, /^9,980 more invalid messages from the dashboard webview in the last minute; the last: Answered an invalid message .*dropTables/);
      // A new minute: its first invalid messages are logged one by one again, and a quiet minute adds nothing.
      await h.handle(null);
      assert.equal(h.warnings.length, invalidMessagesLoggedPerMinute + 2);
      mock.timers.tick(60_000);
      assert.equal(h.warnings.length, invalidMessagesLoggedPerMinute + 2);
      assert.deepEqual(h.errors, []);
    } finally {
      mock.timers.reset();
    }
  });

  it('answers a valid request with the handler result, paired by id', async () => {
    const h = harness(async () => fixtureHandlers());
    await h.handle({ type: 'request', id: 7, method: 'overview', params: {} });
    assert.equal(h.replies.length, 1);
    const reply = h.replies[0]!;
    assert.ok(reply.ok);
    assert.equal(reply.id, 7);
    assert.deepEqual(reply.result, dashboardFixtures.overview);
  });

  it('answers with an error, logged as an error, when a handler throws; when the handlers cannot be had; and when there is no learner', async () => {
    const throwing = harness(async () => fixtureHandlers({ pareto: () => Promise.reject(new Error('the log is closed')) }));
    await throwing.handle({ type: 'request', id: 1, method: 'pareto', params: {} });
    assert.deepEqual(throwing.replies, [{ type: 'reply', id: 1, ok: false, error: { code: 'failed', message: 'pareto: the log is closed' } }]);
    assert.equal(throwing.errors.length, 1);

    const noProvider = harness(() => Promise.reject(new Error('session failed')));
    await noProvider.handle({ type: 'request', id: 'a', method: 'overview' });
    assert.deepEqual(noProvider.replies, [{ type: 'reply', id: 'a', ok: false, error: { code: 'failed', message: "the dashboard's data is unavailable: session failed" } }]);

    const unavailable = harness(async () => unavailableDashboardHandlers('the decision log is unavailable: in use by process 12'));
    await unavailable.handle({ type: 'request', id: 2, method: 'history', params: {} });
    assert.deepEqual(unavailable.replies, [{ type: 'reply', id: 2, ok: false, error: { code: 'failed', message: 'history: the decision log is unavailable: in use by process 12' } }]);
  });

  it('does not throw when the reply cannot be posted (the panel closed meanwhile)', async () => {
    const h = harness(async () => fixtureHandlers(), () => Promise.reject(new Error('Webview is disposed')));
    await h.handle({ type: 'request', id: 1, method: 'overview', params: {} });
    const sync = harness(async () => fixtureHandlers(), () => {
      throw new Error('Webview is disposed');
    });
    await sync.handle({ type: 'request', id: 1, method: 'overview', params: {} });
  });
});
