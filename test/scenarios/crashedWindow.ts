// A window that crashes (or whose browser is killed) never tells the server it went: its extension
// host keeps running, holding the user's decision log, until the server's reconnection grace time
// ends it (code-server's default is three hours; this session's is 30 s). It then ends as on a clean
// close, releasing the log, and another window opens it on reload.
import * as assert from 'node:assert/strict';
import type { Scenario } from '../host/scenarioRun';
import { sampleWorkspace } from '../host/suiteRun';
import { lockHolder, userLogDir } from './userData';

const graceSeconds = 30;

export const crashedWindow: Scenario = {
  name: "a crashed window's extension host holds the user log until the server's grace time ends it, then releases it cleanly",
  session: { reconnectionGraceSeconds: graceSeconds },
  async run(session) {
    const logDir = userLogDir(session);
    const first = await session.openWindow('first', sampleWorkspace('alpha'));
    assert.equal((await first.decisionLog()).state, 'ready');
    await first.crash();
    const crashedAt = Date.now();

    const second = await session.openWindow('second', sampleWorkspace('beta'));
    const held = await second.decisionLog();
    assert.ok(Date.now() - crashedAt < graceSeconds * 1000, 'the second window opened within the grace time (otherwise this scenario shows nothing)');
    assert.equal(held.state, 'unavailable', 'the crashed window has no page, but its extension host still holds the log');
    assert.match(held.messages[0]?.text ?? '', new RegExp(`is in use: process ${first.pid} has had it open since `));
    assert.equal(lockHolder(logDir), first.pid);

    await first.hostEnded();
    const heldFor = Date.now() - crashedAt;
    assert.ok(heldFor >= (graceSeconds - 5) * 1000, `the host ended ${heldFor} ms after the crash, before the grace time`);
    assert.equal(lockHolder(logDir), undefined, 'it ended as on a clean close: the log was closed and its lock released');
    await second.reload();
    const reopened = await second.decisionLog();
    assert.equal(reopened.state, 'ready', JSON.stringify(reopened.messages));
    assert.deepEqual(reopened.messages, [], 'nothing to recover');
    assert.equal(lockHolder(logDir), second.pid);
  },
};
