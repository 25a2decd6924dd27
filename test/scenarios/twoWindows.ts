// Two windows on one code-server are two extension hosts sharing one user's global storage: one
// serves the user's learner (it holds the decision log's lock), the other is its client over the
// local socket, and both log requests into the one log; each sidebar says who serves. When the
// serving window closes, the client takes over at once, without a reload, imports what its
// workspace's earlier log held, and keeps logging.
import * as assert from 'node:assert/strict';
import type { Scenario } from '../host/scenarioRun';
import { sampleWorkspace } from '../host/suiteRun';
import type { AgentWindow } from '../host/windows';
import { lockHolder, userLogDir, writeOldLogOfDefaultSpace } from './userData';

/** Waits until `window`'s learner is served by its own extension host; returns how long that took. */
async function waitUntilServing(window: AgentWindow, timeoutMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const status = await window.learnerStatus().catch(() => undefined);
    if (status?.serving.thisProcess === true) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`${window.label}: still not serving ${timeoutMs} ms later (${JSON.stringify(status)})`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function sidebarMatching(window: AgentWindow, pattern: RegExp, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let text = await window.sidebarText();
  while (!pattern.test(text) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    text = await window.sidebarText();
  }
  assert.match(text, pattern);
  return text;
}

export const twoWindows: Scenario = {
  name: 'two windows: one serves the user learner, the other is its client, both log; closing the first hands over to the second, which keeps logging',
  async run(session) {
    const logDir = userLogDir(session);
    const alpha = sampleWorkspace('alpha');
    const beta = sampleWorkspace('beta');
    const first = await session.openWindow('first', alpha);
    const firstLog = await first.decisionLog();
    assert.equal(firstLog.state, 'ready', JSON.stringify(firstLog.messages));
    assert.equal(firstLog.dir, logDir, 'the log is in the global storage, whatever the workspace');
    assert.equal(firstLog.servedBy?.thisProcess, true);
    assert.equal(firstLog.servedBy?.pid, first.pid);

    const second = await session.openWindow('second', beta);
    assert.notEqual(second.pid, first.pid, 'each window has an extension host of its own');
    assert.deepEqual((await first.info()).folders, [alpha]);
    assert.deepEqual((await second.info()).folders, [beta]);
    const secondLog = await second.decisionLog();
    assert.equal(secondLog.state, 'ready', JSON.stringify(secondLog.messages));
    assert.equal(secondLog.dir, logDir, 'both windows use the same log');
    assert.deepEqual(secondLog.messages, [], 'a client window has nothing to tell');
    assert.equal(secondLog.servedBy?.thisProcess, false);
    assert.equal(secondLog.servedBy?.pid, first.pid, 'the second window is a client of the first');
    assert.equal(lockHolder(logDir), first.pid);

    // Both windows log requests into the one log, through the first window's learner.
    const byFirst = await first.logRequests(6, 1);
    const bySecond = await second.logRequests(6, 2);
    assert.deepEqual([...new Set([...byFirst.servedBy, ...bySecond.servedBy])], [first.pid]);
    assert.equal(new Set([...byFirst.requestIds, ...bySecond.requestIds]).size, 12);
    const seenByFirst = await first.learnerStatus();
    const seenBySecond = await second.learnerStatus();
    assert.equal(seenByFirst.decisions, 12);
    assert.equal(seenByFirst.outcomes, 12);
    assert.equal(seenBySecond.decisions, 12, 'the client sees the one log');
    assert.equal(seenBySecond.role, 'client');

    await sidebarMatching(first, /Learner served by\s+this window/);
    const secondSidebar = await sidebarMatching(second, new RegExp(`Learner served by\\s+another window \\(process ${first.pid}\\)`));
    assert.match(secondSidebar, /Decisions logged\s+12/);
    await second.window.screenshot('client-window-sidebar');

    // An earlier version's log in the second workspace waits for the window to serve the user's log.
    const waitingDir = secondLog.workspaceLog?.dir ?? '';
    // An earlier version's log of this workspace, in the space the user's log has (a log of another
    // space is refused by the import, naming the first arm that differs).
    await writeOldLogOfDefaultSpace(waitingDir, 2, 5);
    await second.reload();
    const waiting = await second.decisionLog();
    assert.equal(waiting.state, 'ready');
    assert.deepEqual(waiting.workspaceLog, { dir: waitingDir, state: 'waiting', imported: 0 });
    assert.ok(waiting.messages.some((m) => m.level === 'info' && m.text.includes(`${waitingDir} will be imported into your log when this window opens it`)), JSON.stringify(waiting.messages));

    // The first window closes: the second takes over without a reload, and keeps logging.
    const closing = first.close();
    const handoverMs = await waitUntilServing(second, 60_000);
    await closing;
    console.log(`[second] serving the learner ${handoverMs} ms after the first window began to close`);
    assert.equal(lockHolder(logDir), second.pid);
    const taken = await second.decisionLog();
    assert.equal(taken.servedBy?.pid, second.pid);
    assert.deepEqual(taken.workspaceLog, { dir: waitingDir, state: 'imported', imported: 2 }, JSON.stringify(taken.messages));
    assert.equal(taken.decisions, 14, '12 logged, and the 2 imported once the window served');
    const after = await second.logRequests(5, 3);
    assert.deepEqual([...new Set(after.servedBy)], [second.pid]);
    const final = await second.learnerStatus();
    assert.equal(final.decisions, 19);
    assert.equal(final.role, 'serve');
    const sidebar = await sidebarMatching(second, /Learner served by\s+this window/);
    assert.match(sidebar, /Decisions logged\s+19/);
    await second.window.screenshot('after-handover-sidebar');
  },
};
