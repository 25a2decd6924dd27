// What the serving process does with its clients' operations (issue 11): a client's requests land
// in the serving process's store and are answered as the service answers them; a request sent again
// after a lost connection is answered, never applied twice; a decision recommended by a server that
// then went away is logged by the next one as it was recommended; feedback is merged into the
// outcome when it comes first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createRng } from '../core/math/random';
import type { Decision, Outcome } from '../core/types';
import { lockFileName } from '../store/lock';
import { openStore } from '../store/store';
import { connect, type ServiceConnection } from './connection';
import { errorCodes, protocolVersion } from './protocol';
import { ServiceError } from './serviceError';
import { socketPlace } from './socketPlace';
import { environment, socketTestDir, testConnectOptions, wasmDir } from './testing/connectOptions';
import { rawPeer, type RawPeer, type RawResponse } from './testing/rawPeer';
import { ServingCore } from './serving';
import { parseMessageJson } from './wire';

const start = Date.UTC(2026, 0, 5, 9);

function outcomeFor(decision: Decision, rng: ReturnType<typeof createRng>, at: number): Outcome {
  const context = { taskType: decision.taskType ?? 'planTask', languageId: 'typescript', promptTokens: 1200, selectionLines: 0, fileLines: 300, workspaceKind: 'folder' as const, providerFamily: 'openai-compatible', hour: 10 };
  return environment.sampleOutcome(context, environment.space.arms[decision.armIndex]!, rng, decision.requestId, at);
}

/** One request through a connection, from recommendation to outcome. */
async function request(connection: ServiceConnection, rng: ReturnType<typeof createRng>, session: string, clock: { t: number }): Promise<Decision> {
  const rec = await connection.recommend(environment.sampleContext(rng), session);
  assert.equal(rec.kind, 'decision');
  if (rec.kind !== 'decision') throw new Error('refused');
  const decision = await connection.logDecision(rec.decision.requestId, { honouredParams: ['temperature'] });
  clock.t += 60_000;
  await connection.recordOutcome(decision.requestId, outcomeFor(decision, rng, clock.t));
  return decision;
}

/** A raw peer past its hello, and a helper that sends a request and returns its response. */
async function jsonRpc(dir: string): Promise<(method: string, params: unknown) => Promise<RawResponse>> {
  const peer: RawPeer = await rawPeer((await socketPlace(dir)).path);
  const secret = (JSON.parse(await readFile(join(dir, lockFileName), 'utf8')) as { secret: string }).secret;
  let id = 0;
  const call = async (method: string, params: unknown): Promise<RawResponse> => {
    peer.send({ jsonrpc: '2.0', id: ++id, method, params });
    return peer.next();
  };
  await call('paramloop/hello', { protocolVersion, token: secret, pid: process.pid, kind: 'cli' });
  return call;
}

test("a client's requests land in the serving process's store, and its answers (the status too, Infinity and all) are the service's own", async (t) => {
  const { dir, keep } = await socketTestDir(t, 'serving');
  const clock = { t: start };
  const server = keep(await connect(dir, testConnectOptions(clock)));
  const client = keep(await connect(dir, testConnectOptions(clock, { kind: 'cli' })));
  assert.equal(server.role, 'serve');
  assert.equal(client.role, 'client');
  assert.deepEqual(client.serving, { ...server.serving, thisProcess: false });
  const rng = createRng(3);
  const ids: string[] = [];
  for (let i = 0; i < 12; i++) ids.push((await request(i % 2 === 0 ? client : server, rng, `s-${i % 3}`, clock)).requestId);
  const store = server.service!.store;
  assert.equal(store.decisionCount(), 12);
  for (const id of ids) assert.ok(store.loggedByRequestId(id)?.outcome, `request ${id} is stored with its outcome`);
  const remote = await client.status();
  assert.deepEqual(remote, server.service!.status());
  assert.equal(remote.budget[0]?.remaining, Number.POSITIVE_INFINITY);
});

test('requests sent again are answered, not applied twice: logDecision, recordOutcome, the rollout controls and waivers', async (t) => {
  const { dir, keep } = await socketTestDir(t, 'serving');
  const clock = { t: start };
  const server = keep(await connect(dir, testConnectOptions(clock)));
  const call = await jsonRpc(dir);
  const rng = createRng(5);
  const context = environment.sampleContext(rng);
  const rec = await call('paramloop/recommend', { callId: 'r1', retry: false, context, sessionKey: 's' });
  const again = await call('paramloop/recommend', { callId: 'r1', retry: true, context, sessionKey: 's' });
  assert.deepEqual(again.result, rec.result, 'the same call id gets the same decision');
  const decision = (rec.result as { decision: Decision }).decision;
  const requestId = decision.requestId;

  const logged = await call('paramloop/logDecision', { callId: 'l1', retry: false, requestId, mapping: { honouredParams: ['topP'] } });
  // After a handover the call id is unknown to the server: the log answers.
  const relogged = await call('paramloop/logDecision', { callId: 'l2', retry: true, requestId, mapping: { honouredParams: ['topP'] }, decision });
  assert.deepEqual(relogged.result, logged.result);
  const outcome = outcomeFor(decision, rng, start + 60_000);
  const recorded = await call('paramloop/recordOutcome', { callId: 'o1', retry: false, requestId, outcome });
  assert.equal(recorded.error, undefined);
  const sameCall = await call('paramloop/recordOutcome', { callId: 'o1', retry: true, requestId, outcome });
  assert.deepEqual(sameCall.result, recorded.result);
  const fromLog = await call('paramloop/recordOutcome', { callId: 'o2', retry: true, requestId, outcome });
  assert.equal((fromLog.result as { repeated?: boolean }).repeated, true);
  assert.deepEqual((fromLog.result as { report: unknown }).report, (recorded.result as { report: unknown }).report);
  const different = await call('paramloop/recordOutcome', { callId: 'o3', retry: true, requestId, outcome: { ...outcome, latencyMs: outcome.latencyMs + 1 } });
  assert.equal(different.error?.code, errorCodes.operationFailed);
  assert.match(different.error?.message ?? '', /an outcome for .* is already recorded, and it differs from this one/);
  await server.service!.flush();
  const stored = [...server.service!.store.iterateLogged()];
  assert.equal(stored.length, 1);
  assert.deepEqual(stored[0]?.decision.honouredParams, ['topP']);

  const promoted = await call('paramloop/promote', { callId: 'p1', retry: false, actor: 'dev', reason: 'try canary' });
  const promotedAgain = await call('paramloop/promote', { callId: 'p2', retry: true, actor: 'dev', reason: 'try canary' });
  assert.deepEqual(promotedAgain.result, promoted.result);
  assert.equal(server.service!.phase, 'canary', 'promoted once, not twice');
  const paused = await call('paramloop/pause', { callId: 'q1', retry: false, actor: 'dev', reason: 'look' });
  assert.deepEqual((await call('paramloop/pause', { callId: 'q2', retry: true, actor: 'dev', reason: 'look' })).result, paused.result);
  const notRetried = await call('paramloop/pause', { callId: 'q3', retry: false, actor: 'dev', reason: 'look' });
  assert.match(notRetried.error?.message ?? '', /already paused/);

  const proposal = { id: 'w1', taskType: 'planTests', period: 'day', delta: 5000, reason: 'evaluation_run', note: '', expiresAt: start + 86_400_000 };
  const proposed = await call('paramloop/proposeWaiver', { callId: 'w1', retry: false, proposal, requestedBy: 'dev' });
  assert.deepEqual((await call('paramloop/proposeWaiver', { callId: 'w2', retry: true, proposal, requestedBy: 'dev' })).result, proposed.result);
  const changed = await call('paramloop/proposeWaiver', { callId: 'w3', retry: true, proposal: { ...proposal, delta: 9000 }, requestedBy: 'dev' });
  assert.match(changed.error?.message ?? '', /waiver w1 already exists/);
  const active = await call('paramloop/activateWaiver', { callId: 'w4', retry: false, id: 'w1', approver: 'lead' });
  assert.deepEqual((await call('paramloop/activateWaiver', { callId: 'w5', retry: true, id: 'w1', approver: 'lead' })).result, active.result);
  const revoked = await call('paramloop/revokeWaiver', { callId: 'w6', retry: false, id: 'w1', actor: 'lead', reason: 'done' });
  assert.deepEqual((await call('paramloop/revokeWaiver', { callId: 'w7', retry: true, id: 'w1', actor: 'lead', reason: 'done' })).result, revoked.result);
  await server.service!.flush();
  // The audit chain has an entry per waiver change (the waiver table keeps the latest state).
  const waiverChanges = server.service!.store.eventsAfter(0).flatMap((e) => (e.event.type === 'budgetEvent' && e.event.record.kind.startsWith('waiver.') ? [e.event.record.kind] : []));
  assert.deepEqual(waiverChanges, ['waiver.proposed', 'waiver.activated', 'waiver.revoked']);
  assert.equal(server.service!.store.eventsAfter(0).filter((e) => e.event.type === 'rolloutEvent').length, 2, 'one promotion and one pause');
});

test('what a call keeps to answer its call id again is small: the answer sent is not held, and the call sent again gets the same answer', async (t) => {
  setFlagsFromString('--expose-gc');
  const collect = runInNewContext('gc') as () => void;
  /** Whether `object` is gone once nothing but `weak` refers to it. */
  const collected = async (weak: WeakRef<object>): Promise<boolean> => {
    await new Promise((resolve) => setTimeout(resolve, 0));
    collect();
    return weak.deref() === undefined;
  };
  const { dir, keep } = await socketTestDir(t, 'serving');
  const clock = { t: start };
  const server = keep(await connect(dir, testConnectOptions(clock)));
  const core = new ServingCore(server.service!, 0);
  const rng = createRng(9);
  const context = environment.sampleContext(rng);

  /** The answer's copy, and a weak reference to the decision it carried (nothing else here holds it). */
  const answered = async (call: Promise<unknown>): Promise<{ copy: unknown; decision: WeakRef<object> }> => {
    const answer = (await call) as { decision: Decision };
    return { copy: structuredClone(answer), decision: new WeakRef(answer.decision) };
  };
  const first = await answered(core.execute('recommend', { callId: 'r1', retry: false, context, sessionKey: 's' }));
  const recommendation = first.copy as { kind: 'decision'; decision: Decision };
  assert.equal(recommendation.kind, 'decision');
  const sentDecision = first.decision;
  assert.ok(await collected(sentDecision), 'the decision answered is not kept by the answer kept');
  assert.deepEqual(await core.execute('recommend', { callId: 'r1', retry: true, context, sessionKey: 's' }), recommendation, 'the same call id gets the same decision');
  const requestId = recommendation.decision.requestId;

  const logged = await core.execute('logDecision', { callId: 'l1', retry: false, requestId, mapping: { honouredParams: ['topP'] } });
  assert.deepEqual(logged.honouredParams, ['topP']);
  assert.deepEqual(await core.execute('logDecision', { callId: 'l1', retry: true, requestId, mapping: { honouredParams: ['topP'] } }), logged);
  // The recommendation sent again still answers as recommended, without the mapping the log added.
  assert.deepEqual(await core.execute('recommend', { callId: 'r1', retry: true, context, sessionKey: 's' }), recommendation);

  const outcome = outcomeFor(recommendation.decision, rng, start + 60_000);
  const recorded = await answered(core.execute('recordOutcome', { callId: 'o1', retry: false, requestId, outcome }));
  const result = recorded.copy as { decision: Decision; events: unknown[]; repeated?: true };
  const recordedDecision = recorded.decision;
  assert.ok(await collected(recordedDecision), 'the decision of an outcome answered is not kept by the answer kept');
  const again = await core.execute('recordOutcome', { callId: 'o1', retry: true, requestId, outcome });
  assert.deepEqual(again, result, 'the same call id gets the first answer, not the log\'s repeated one');
  assert.equal(again.repeated, undefined);
  // Stored with its outcome, the decision comes from the log.
  assert.deepEqual(await core.execute('recommend', { callId: 'r1', retry: true, context, sessionKey: 's' }), recommendation);
});

test('an answer shares nothing with the optimizer: changed by its caller, it changes neither the decision held nor the answer to the same call sent again; the text sent on a socket is that answer', async (t) => {
  const { dir, keep } = await socketTestDir(t, 'serving');
  const server = keep(await connect(dir, testConnectOptions({ t: start })));
  const core = new ServingCore(server.service!, 0);
  const context = environment.sampleContext(createRng(12));
  const params = { callId: 'r1', retry: false, context, sessionKey: 's' };
  const answer = (await core.execute('recommend', params)) as { kind: 'decision'; decision: Decision };
  const asSent = structuredClone(answer);
  const held = server.service!.guarded.optimizer.heldDecision(answer.decision.requestId)!;
  assert.notEqual(held, answer.decision);
  answer.decision.armIndex = 99;
  answer.decision.probabilities.fill(0);
  answer.decision.params.temperature = 9;
  assert.deepEqual({ armIndex: held.armIndex, probabilities: held.probabilities, params: held.params }, { armIndex: asSent.decision.armIndex, probabilities: asSent.decision.probabilities, params: asSent.decision.params });
  assert.deepEqual(await core.execute('recommend', { ...params, retry: true }), asSent);
  const text = await core.executeToJson('recommend', { ...params, retry: true });
  assert.deepEqual(parseMessageJson(text.text), asSent);
  // Completed by its log, the decision held changes; the answer given before does not.
  await core.execute('logDecision', { callId: 'l1', retry: false, requestId: asSent.decision.requestId, mapping: { honouredParams: ['topP'] } });
  assert.deepEqual(held.honouredParams, ['topP']);
  assert.equal((parseMessageJson(text.text) as typeof asSent).decision.honouredParams, undefined);
});

test('a decision recommended by a server that closed before it was logged is logged by the next server as it was recommended; one that does not fit the parameter space is refused', async (t) => {
  const { dir, keep } = await socketTestDir(t, 'serving');
  const clock = { t: start };
  const first = keep(await connect(dir, testConnectOptions(clock)));
  const client = keep(await connect(dir, testConnectOptions(clock, { kind: 'cli' })));
  const rng = createRng(7);
  const before = await request(client, rng, 'a', clock);
  const rec = await client.recommend(environment.sampleContext(rng), 'b');
  assert.equal(rec.kind, 'decision');
  if (rec.kind !== 'decision') return;
  const changes: boolean[] = [];
  client.onServingChange((serving) => changes.push(serving.thisProcess));
  // The window that served closes while the request is out.
  await first.close();
  const logged = await client.logDecision(rec.decision.requestId, { honouredParams: ['maxTokens'] });
  assert.equal(client.role, 'serve');
  assert.deepEqual(changes, [true]);
  assert.deepEqual({ ...logged, honouredParams: undefined }, { ...rec.decision, honouredParams: undefined });
  assert.deepEqual(logged.honouredParams, ['maxTokens']);
  clock.t += 60_000;
  const result = await client.recordOutcome(logged.requestId, outcomeFor(logged, rng, clock.t));
  assert.equal(result.decision.requestId, logged.requestId);
  const after = await request(client, rng, 'c', clock);
  assert.notEqual(after.requestId.slice(0, 9), rec.decision.requestId.slice(0, 9), 'each serving process draws request ids of its own');

  const call = await jsonRpc(dir);
  const next = await call('paramloop/recommend', { callId: 'x', retry: false, context: environment.sampleContext(rng), sessionKey: 'd' });
  const foreign = structuredClone((next.result as { decision: Decision }).decision);
  foreign.requestId = 'made-elsewhere';
  foreign.armId = 'no-such-arm';
  const refused = await call('paramloop/logDecision', { callId: 'y', retry: true, requestId: 'made-elsewhere', decision: foreign });
  assert.equal(refused.error?.code, errorCodes.operationFailed);
  assert.match(refused.error?.message ?? '', /decision made-elsewhere is not one this parameter space could have made: arm \d+ of the parameter space is .*, not no-such-arm/);
  await client.close();
  const store = keep(await openStore(dir, { wasmDir, readOnly: true }));
  for (const id of [before.requestId, logged.requestId, after.requestId]) assert.ok(store.loggedByRequestId(id)?.outcome, `${id} is stored with its outcome`);
  assert.equal(store.decisionCount(), 3);
});

test('feedback before the outcome goes into it; after the outcome it is answered as late; on an unknown request it is refused', async (t) => {
  const { dir, keep } = await socketTestDir(t, 'serving');
  const clock = { t: start };
  const server = keep(await connect(dir, testConnectOptions(clock)));
  const client = keep(await connect(dir, testConnectOptions(clock, { kind: 'cli' })));
  const rng = createRng(9);
  const rec = await client.recommend(environment.sampleContext(rng), 's');
  if (rec.kind !== 'decision') throw new Error('refused');
  const decision = await client.logDecision(rec.decision.requestId);
  // Given from another process than the one that records the outcome: the server holds it.
  const held = await server.feedback(decision.requestId, { verdict: 'accept', rating: 4 });
  assert.equal(held.disposition, 'held');
  const outcome = outcomeFor(decision, rng, start + 60_000);
  delete outcome.verdict;
  delete outcome.rating;
  await client.recordOutcome(decision.requestId, outcome);
  const stored = server.service!.store.loggedByRequestId(decision.requestId);
  assert.equal(stored?.outcome?.verdict, 'accept');
  assert.equal(stored?.outcome?.rating, 4);
  // The outcome came with the quality of its checks alone: the rating sets it, (4 − 1) / 4, and the reward follows.
  assert.equal(stored?.outcome?.quality, 0.75);
  assert.notEqual(outcome.quality, 0.75);
  const late = await client.feedback(decision.requestId, { verdict: 'reject' });
  assert.equal(late.disposition, 'late');
  assert.match(late.message, /recorded before this feedback came, so it is not learned from/);
  await assert.rejects(client.feedback('nobody', { rating: 2 }), (error: unknown) => error instanceof ServiceError && error.code === errorCodes.operationFailed && /no logged decision with request id nobody/.test(error.message));
  await assert.rejects(client.feedback(decision.requestId, {}), (error: unknown) => error instanceof ServiceError && error.code === errorCodes.invalidParams && /feedback needs a verdict or a rating/.test(error.message));
});

test('while a process serves, a logged decision whose outcome never comes is closed with the default reward once the wait has passed', async (t) => {
  const { dir, keep } = await socketTestDir(t, 'serving');
  const clock = { t: start };
  keep(await connect(dir, testConnectOptions(clock, { expireEveryMs: 20 })));
  const client = keep(await connect(dir, testConnectOptions(clock, { kind: 'cli' })));
  const rec = await client.recommend(environment.sampleContext(createRng(4)), 's');
  if (rec.kind !== 'decision') throw new Error('refused');
  await client.logDecision(rec.decision.requestId);
  assert.equal((await client.status()).pending, 1);
  clock.t += 31 * 60_000;
  for (let i = 0; i < 100 && (await client.status()).pending > 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal((await client.status()).pending, 0);
  await assert.rejects(client.recordOutcome(rec.decision.requestId, outcomeFor(rec.decision, createRng(5), clock.t)), /was closed with the default reward at .*; this one came too late and was not recorded/);
});

test('resetting the policy from a client: back to shadow from canary, the learned policy at its prior (version 0), audited, and a restart keeps the reset', async (t) => {
  const { dir, keep } = await socketTestDir(t, 'serving');
  const clock = { t: start };
  const server = keep(await connect(dir, testConnectOptions(clock)));
  const client = keep(await connect(dir, testConnectOptions(clock, { kind: 'cli' })));
  const rng = createRng(21);
  await client.promote('ana', 'start in canary');
  for (let i = 0; i < 12; i++) await request(client, rng, `s${i}`, clock);
  const before = await client.status();
  assert.equal(before.phase, 'canary');
  assert.equal(before.policyVersion, 12);
  const reset = await client.resetPolicy('ana', 'the space changed meaning');
  assert.equal(reset.policyVersion, 0);
  assert.equal(reset.event?.kind, 'rollback');
  assert.equal(reset.event?.to, 'shadow');
  assert.match(reset.event?.reason ?? '', /^policy reset: the space changed meaning$/);
  const after = await client.status();
  assert.deepEqual([after.phase, after.policyVersion, after.outcomes], ['shadow', 0, 12]);
  // The audit entry, in the log's hash-chained audit records.
  const audit = server.service!.store.eventsAfter(0).filter(({ event }) => event.type === 'budgetEvent' && event.record.kind === 'policy.reset');
  assert.equal(audit.length, 1);
  assert.match(JSON.stringify(audit[0]?.event), /"actor":"ana"/);
  // Learning goes on from the prior; a restart restores the reset policy plus what came after, not the 12 before.
  await request(client, rng, 'after', clock);
  await client.close();
  await server.close();
  const reopened = keep(await connect(dir, testConnectOptions(clock)));
  const restored = await reopened.status();
  assert.deepEqual([restored.phase, restored.policyVersion, restored.outcomes], ['shadow', 1, 13]);
});

test('a recommendation that appends nothing is answered without waiting for another call\'s write in flight; the write is still answered once durable', async (t) => {
  const { dir, keep } = await socketTestDir(t, 'serving');
  const clock = { t: start };
  const server = keep(await connect(dir, testConnectOptions(clock)));
  const rng = createRng(31);
  const first = await server.recommend(environment.sampleContext(rng), 'a');
  if (first.kind !== 'decision') throw new Error('refused');
  const order: string[] = [];
  const logging = server.logDecision(first.decision.requestId, {}).then(() => order.push('logDecision'));
  const recommending = server.recommend(environment.sampleContext(rng), 'b').then(() => order.push('recommend'));
  assert.ok(server.service!.store.backlog > 0 || order.length === 0, 'the decision is not durable yet');
  await Promise.all([logging, recommending]);
  assert.deepEqual(order, ['recommend', 'logDecision']);
  assert.equal(server.service!.store.backlog, 0);
  assert.ok(server.service!.store.loggedByRequestId(first.decision.requestId));
});
