// Two windows on one code-server are two extension hosts sharing one user's global storage: exactly
// one holds the user's decision log, the other says who does (and leaves its workspace's earlier
// log waiting); once the first window is closed, the second opens the log when it reloads, and
// imports what was waiting.
import * as assert from 'node:assert/strict';
import type { Scenario } from '../host/scenarioRun';
import { sampleWorkspace } from '../host/suiteRun';
import { lockHolder, userLogDir, writeOldLog } from './userData';

export const twoWindows: Scenario = {
  name: 'two windows: one holds the user log, the other names the holder; after the first closes, the second opens it on reload',
  async run(session) {
    const logDir = userLogDir(session);
    const alpha = sampleWorkspace('alpha');
    const beta = sampleWorkspace('beta');
    const first = await session.openWindow('first', alpha);
    const firstLog = await first.decisionLog();
    assert.equal(firstLog.state, 'ready', JSON.stringify(firstLog.messages));
    assert.equal(firstLog.dir, logDir, 'the log is in the global storage, whatever the workspace');

    const second = await session.openWindow('second', beta);
    assert.notEqual(second.pid, first.pid, 'each window has an extension host of its own');
    assert.deepEqual((await first.info()).folders, [alpha]);
    assert.deepEqual((await second.info()).folders, [beta]);
    const secondLog = await second.decisionLog();
    assert.equal(secondLog.state, 'unavailable');
    assert.equal(secondLog.dir, logDir, 'both windows use the same log');
    assert.equal(secondLog.messages.length, 1, JSON.stringify(secondLog.messages));
    assert.match(secondLog.messages[0]?.text ?? '', new RegExp(`is in use: process ${first.pid} has had it open since `));
    assert.equal(secondLog.messages[0]?.notify, false, 'another window holding the log is expected: no notification');
    assert.equal(lockHolder(logDir), first.pid);

    assert.match(await first.sidebarText(), /Decision log\s+ready/);
    const secondSidebar = await second.sidebarText();
    assert.match(secondSidebar, /Decision log\s+unavailable/);
    assert.match(secondSidebar, new RegExp(`process ${first.pid} has had it open`));
    await second.window.screenshot('log-held-by-first');

    // An earlier version's log in the second workspace waits for a window that holds the user's log.
    const waitingDir = secondLog.workspaceLog?.dir ?? '';
    await writeOldLog(waitingDir, 1, 2);
    await second.reload();
    const waiting = await second.decisionLog();
    assert.equal(waiting.state, 'unavailable');
    assert.deepEqual(waiting.workspaceLog, { dir: waitingDir, state: 'waiting', imported: 0 });
    assert.ok(waiting.messages.some((m) => m.level === 'info' && m.text.includes(`${waitingDir} will be imported into your log when this window opens it`)), JSON.stringify(waiting.messages));

    await first.close();
    assert.equal(lockHolder(logDir), undefined, 'the closed window closed the log and released its lock');
    await second.reload();
    const reopened = await second.decisionLog();
    assert.equal(reopened.state, 'ready', JSON.stringify(reopened.messages));
    assert.equal(lockHolder(logDir), second.pid);
    assert.deepEqual(reopened.workspaceLog, { dir: waitingDir, state: 'imported', imported: 2 });
    assert.equal(reopened.decisions, 2);
    // A clean hand-over: nothing to recover, only the import to tell.
    assert.deepEqual(reopened.messages.map((m) => m.level), ['info'], JSON.stringify(reopened.messages));
    const sidebar = await second.sidebarText();
    assert.match(sidebar, /Decision log\s+ready/);
    assert.match(sidebar, /Decisions logged\s+2/);
  },
};
