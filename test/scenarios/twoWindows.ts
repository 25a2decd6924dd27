// Two windows on one code-server are two extension hosts sharing one user's global storage: exactly
// one holds the user's decision log, the other says who does; once the first window is closed, the
// second opens the log when it reloads.
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Scenario } from '../host/scenarioRun';
import { sampleWorkspace } from '../host/suiteRun';
import type { WindowSession } from '../host/windows';

/** Where Paramloop keeps the user's decision log in the server's user data. */
export function userLogDir(session: WindowSession): string {
  return join(session.userDataDir, 'User', 'globalStorage', 'paramloop.paramloop', 'decision-log');
}

function lockHolder(dir: string): number | undefined {
  const file = join(dir, 'store.lock');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { pid: number }).pid : undefined;
}

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

    await first.close();
    assert.equal(lockHolder(logDir), undefined, 'the closed window closed the log and released its lock');
    await second.reload();
    const reopened = await second.decisionLog();
    assert.equal(reopened.state, 'ready', JSON.stringify(reopened.messages));
    assert.deepEqual(reopened.messages, [], 'a clean hand-over: nothing to recover');
    assert.equal(lockHolder(logDir), second.pid);
    assert.match(await second.sidebarText(), /Decision log\s+ready/);
  },
};
