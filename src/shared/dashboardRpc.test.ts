import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRng } from '../core/math/random';
import { dashboardMethodNames, dashboardMethods, replySchema, type DashboardMethodName, type DashboardReply } from './dashboardProtocol';
import { createDashboardClient, createDashboardDispatcher, DashboardRequestError, type DashboardHandlers } from './dashboardRpc';
import { dashboardFixtures } from './testing/dashboardFixtures';
import { malformedMessage } from './testing/malformedDashboardMessages';

/** Handlers answering each method with its fixture. */
function fixtureHandlers(): DashboardHandlers {
  const handlers = {} as Record<DashboardMethodName, () => unknown>;
  for (const name of dashboardMethodNames) handlers[name] = () => structuredClone(dashboardFixtures[name]);
  return handlers as unknown as DashboardHandlers;
}

test('every fixture passes its method result schema (so the tests below answer validly)', () => {
  for (const name of dashboardMethodNames) {
    const parsed = dashboardMethods[name].result.safeParse(dashboardFixtures[name]);
    assert.ok(parsed.success, `${name}: ${parsed.success ? '' : parsed.error.message}`);
  }
});

test('answers a valid request with its result and the same id, defaults filled in', async () => {
  let seen: unknown;
  const handlers = { ...fixtureHandlers(), rewardOverTime: (p: unknown) => ((seen = p), dashboardFixtures.rewardOverTime) } as DashboardHandlers;
  const dispatch = createDashboardDispatcher(handlers);
  const reply = await dispatch({ type: 'request', id: 41, method: 'rewardOverTime', params: { since: 0 } });
  assert.deepEqual(reply, { type: 'reply', id: 41, ok: true, result: dashboardFixtures.rewardOverTime });
  assert.deepEqual(seen, { since: 0, buckets: 100 });
  // params may be left out when every field has a default
  const overview = await dispatch({ type: 'request', id: 'a', method: 'overview' });
  assert.equal(overview.ok, true);
});

test('names what was wrong, with the id when one can be read', async () => {
  const dispatch = createDashboardDispatcher(fixtureHandlers());
  const cases: Array<[unknown, string | number | null, string, RegExp]> = [
    ['overview', null, 'invalidMessage', /not a dashboard request/],
    [null, null, 'invalidMessage', /not a dashboard request/],
    [{ type: 'request', method: 'overview' }, null, 'invalidMessage', /id/],
    [{ type: 'request', id: 5, method: 'overview', extra: 1 }, 5, 'invalidMessage', /extra/],
    [{ type: 'request', id: 6, method: 'dropTables' }, 6, 'unknownMethod', /dropTables/],
    [{ type: 'request', id: 7, method: 'toString' }, 7, 'unknownMethod', /toString/],
    [{ type: 'request', id: 8, method: 'rewardOverTime', params: { buckets: 201 } }, 8, 'invalidParams', /^rewardOverTime: buckets: /],
    [{ type: 'request', id: 9, method: 'rewardOverTime', params: { since: 10, until: 5 } }, 9, 'invalidParams', /since must be before until/],
    [{ type: 'request', id: 10, method: 'explainDecision', params: { requestId: 'x'.repeat(100_000) } }, 10, 'invalidParams', /requestId: Too big/],
    [{ type: 'request', id: 11, method: 'runCommand', params: { command: 'workbench.action.terminal.new' } }, 11, 'invalidParams', /command/],
    [{ type: 'request', id: 'y'.repeat(65), method: 'overview' }, null, 'invalidMessage', /id/],
  ];
  for (const [raw, id, code, message] of cases) {
    const reply = await dispatch(raw);
    assert.equal(reply.ok, false, JSON.stringify(raw).slice(0, 80));
    assert.equal(reply.id, id);
    if (!reply.ok) {
      assert.equal(reply.error.code, code);
      assert.match(reply.error.message, message);
      assert.ok(reply.error.message.length <= 4000);
    }
  }
});

test('a handler that throws, rejects or answers outside its schema gets an error reply, reported once', async () => {
  const reported: string[] = [];
  const dispatch = createDashboardDispatcher(
    {
      ...fixtureHandlers(),
      overview: () => {
        throw new Error('the log is closed');
      },
      pareto: () => Promise.reject(new Error('read failed')),
      history: () => ({ entries: 'none' }) as never,
    },
    { onHandlerError: (method) => reported.push(method) },
  );
  const thrown = await dispatch({ type: 'request', id: 1, method: 'overview', params: {} });
  assert.deepEqual(thrown, { type: 'reply', id: 1, ok: false, error: { code: 'failed', message: 'overview: the log is closed' } });
  const rejected = await dispatch({ type: 'request', id: 2, method: 'pareto', params: {} });
  assert.equal(rejected.ok ? '' : rejected.error.message, 'pareto: read failed');
  const invalid = await dispatch({ type: 'request', id: 3, method: 'history', params: {} });
  assert.equal(invalid.ok ? '' : invalid.error.code, 'invalidResult');
  assert.match(invalid.ok ? '' : invalid.error.message, /entries/);
  assert.deepEqual(reported, ['overview', 'pareto', 'history']);
});

test('10,000 seeded random and malformed messages: each answered exactly once with an error, nothing thrown or left unhandled', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    const dispatch = createDashboardDispatcher(fixtureHandlers());
    const rng = createRng(20_260_105);
    const replies = new Map<number, DashboardReply[]>();
    const post = (index: number, reply: DashboardReply): void => {
      const list = replies.get(index) ?? [];
      list.push(reply);
      replies.set(index, list);
    };
    const inFlight: Promise<void>[] = [];
    for (let i = 0; i < 10_000; i++) {
      const raw = malformedMessage(rng);
      // As the host does: the webview's message handler starts the dispatch and posts its reply.
      inFlight.push(dispatch(raw).then((reply) => post(i, reply)));
    }
    await Promise.all(inFlight);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(replies.size, 10_000);
    const codes = new Map<string, number>();
    for (const [index, list] of replies) {
      assert.equal(list.length, 1, `message ${index} answered ${list.length} times`);
      const reply = list[0]!;
      assert.ok(replySchema.safeParse(reply).success, `reply ${index} is outside the reply schema`);
      assert.equal(reply.ok, false, `message ${index} was answered as valid`);
      if (!reply.ok) codes.set(reply.error.code, (codes.get(reply.error.code) ?? 0) + 1);
    }
    // The messages reach every kind of refusal, not only the first check.
    for (const code of ['invalidMessage', 'unknownMethod', 'invalidParams']) assert.ok((codes.get(code) ?? 0) > 100, `${code}: ${codes.get(code)}`);
    assert.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});

test('the client pairs replies by id, validates results, and times out', async () => {
  const sent: Array<{ id: number; method: string; params: unknown }> = [];
  const client = createDashboardClient((m) => sent.push(m as never), { timeoutMs: 50 });
  const dispatch = createDashboardDispatcher(fixtureHandlers());
  const first = client.request('pareto', {});
  const second = client.request('recentDecisions', { limit: 5 });
  assert.equal(client.pending, 2);
  assert.deepEqual(sent[1], { type: 'request', id: 2, method: 'recentDecisions', params: { limit: 5 } });
  // Replies in the opposite order still reach their request.
  assert.equal(client.receive(await dispatch(sent[1])), true);
  assert.equal(client.receive(await dispatch(sent[0])), true);
  assert.deepEqual(await first, dashboardFixtures.pareto);
  assert.deepEqual(await second, dashboardFixtures.recentDecisions);
  // An error reply rejects with its code; a result outside the schema too.
  const refused = client.request('explainDecision', { requestId: 'r-1' });
  client.receive({ type: 'reply', id: 3, ok: false, error: { code: 'failed', message: 'the log is closed' } });
  await assert.rejects(refused, (e: unknown) => e instanceof DashboardRequestError && e.code === 'failed' && e.message === 'explainDecision: the log is closed');
  const wrong = client.request('pareto', {});
  client.receive({ type: 'reply', id: 4, ok: true, result: { points: 'many' } });
  await assert.rejects(wrong, (e: unknown) => e instanceof DashboardRequestError && e.code === 'invalidResult');
  // Params are checked before anything is sent.
  await assert.rejects(client.request('recentDecisions', { limit: 1000 }), (e: unknown) => e instanceof DashboardRequestError && e.code === 'invalidParams');
  assert.equal(sent.length, 4);
  const late = client.request('overview', {});
  await assert.rejects(late, (e: unknown) => e instanceof DashboardRequestError && e.code === 'timeout');
  // The late reply is dropped; a message outside the protocol is reported as such.
  assert.equal(client.receive(await dispatch(sent[4])), true);
  assert.equal(client.receive({ type: 'status' }), false);
  assert.equal(client.pending, 0);
});

test('the client hands events to its listeners and rejects what waits when disposed', async () => {
  const client = createDashboardClient(() => undefined);
  const events: unknown[] = [];
  const stop = client.onEvent((e) => events.push(e));
  client.receive({ type: 'event', name: 'changed', at: 5, decisions: 9 });
  stop();
  client.receive({ type: 'event', name: 'changed', at: 6, decisions: 10 });
  assert.deepEqual(events, [{ type: 'event', name: 'changed', at: 5, decisions: 9 }]);
  const waiting = client.request('overview', {});
  client.dispose();
  await assert.rejects(waiting, /closed/);
});
