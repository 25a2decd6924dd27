// A window that crashes (or whose browser is killed) never tells the server it went: its extension
// host keeps running, serving the user's learner, until the server's reconnection grace time ends it
// (code-server's default is three hours; this session's is 30 s). Meanwhile another window is its
// client and logs through it; when the host ends (as on a clean close), that window takes over
// without a reload, and nothing logged is lost.
import * as assert from 'node:assert/strict';
import type { Scenario } from '../host/scenarioRun';
import { sampleWorkspace } from '../host/suiteRun';
import { lockHolder, userLogDir } from './userData';

const graceSeconds = 30;

export const crashedWindow: Scenario = {
  name: "a crashed window's extension host serves the learner until the server's grace time ends it; the other window then takes over and nothing is lost",
  session: { reconnectionGraceSeconds: graceSeconds },
  async run(session) {
    const logDir = userLogDir(session);
    const first = await session.openWindow('first', sampleWorkspace('alpha'));
    assert.equal((await first.decisionLog()).state, 'ready');
    await first.logRequests(3, 1);
    await first.crash();
    const crashedAt = Date.now();

    const second = await session.openWindow('second', sampleWorkspace('beta'));
    const held = await second.decisionLog();
    assert.ok(Date.now() - crashedAt < graceSeconds * 1000, 'the second window opened within the grace time (otherwise this scenario shows nothing)');
    assert.equal(held.state, 'ready', JSON.stringify(held.messages));
    assert.equal(held.servedBy?.pid, first.pid, 'the crashed window has no page, but its extension host still serves');
    const during = await second.logRequests(3, 2);
    assert.deepEqual([...new Set(during.servedBy)], [first.pid]);
    assert.equal(lockHolder(logDir), first.pid);

    await first.hostEnded();
    const heldFor = Date.now() - crashedAt;
    assert.ok(heldFor >= (graceSeconds - 5) * 1000, `the host ended ${heldFor} ms after the crash, before the grace time`);
    const deadline = Date.now() + 30_000;
    let status = await second.learnerStatus();
    while (!status.serving.thisProcess && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = await second.learnerStatus();
    }
    assert.equal(status.serving.thisProcess, true, 'the second window took over');
    assert.equal(lockHolder(logDir), second.pid);
    assert.equal(status.decisions, 6, 'every logged request is in the log');
    assert.equal(status.outcomes, 6);
  },
};
