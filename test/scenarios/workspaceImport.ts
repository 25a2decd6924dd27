// A workspace whose storage holds the per-workspace decision log of an earlier version: the first
// window that opens the user's log imports it, says so once, and marks the old folder; a log that
// conflicts with the user's is refused whole with an error naming its folder, and Paramloop keeps
// working with the user's log.
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { importedMarkerFileName } from '../../src/store/workspaceImport';
import type { ImportedMarker } from '../../src/store/workspaceImport';
import type { Scenario } from '../host/scenarioRun';
import { sampleWorkspace } from '../host/suiteRun';
import type { AgentWindow, WindowSession } from '../host/windows';
import { userLogDir, writeOldLog } from './userData';

/** Opens a window on `folder` once to learn where its workspace storage keeps a log, then closes it. */
async function workspaceLogDir(session: WindowSession, name: string, folder: string): Promise<string> {
  const window = await session.openWindow(name, folder);
  const status = await window.decisionLog();
  assert.equal(status.workspaceLog?.state, 'none', 'nothing to import yet');
  const dir = status.workspaceLog?.dir ?? '';
  assert.match(dir, /\/User\/workspaceStorage\/[^/]+\/paramloop\.paramloop\/decision-log$/);
  await window.close();
  return dir;
}

async function notificationsMatching(window: AgentWindow, pattern: RegExp): Promise<string[]> {
  return (await window.notifications()).filter((text) => pattern.test(text));
}

export const workspaceImport: Scenario = {
  name: "a workspace's earlier log is imported into the user log once, with a message; a conflicting one is refused, naming its folder",
  async run(session) {
    const project = sampleWorkspace('project');
    const oldDir = await workspaceLogDir(session, 'project-before', project);
    await writeOldLog(oldDir, 1, 3);
    const filesBefore = readdirSync(oldDir).sort();

    const window = await session.openWindow('project', project);
    const status = await window.decisionLog();
    assert.equal(status.state, 'ready', JSON.stringify(status.messages));
    assert.equal(status.dir, userLogDir(session));
    assert.equal(status.decisions, 3, 'the user log holds the 3 decisions of the old one');
    assert.deepEqual(status.workspaceLog, { dir: oldDir, state: 'imported', imported: 3 });
    const told = `imported 3 decisions from this workspace's earlier log (${oldDir}) into your log (${status.dir})`;
    assert.ok(status.messages.some((m) => m.level === 'info' && m.notify === true && m.text.includes(told)), JSON.stringify(status.messages));
    const shown = await notificationsMatching(window, /imported 3 decisions from this workspace's earlier log/);
    assert.equal(shown.length, 1, 'the information message was shown once');
    assert.match(shown[0] ?? '', /The old folder is kept, read-only: Paramloop no longer writes to it\./);
    await window.window.screenshot('import-message', { waitForWebview: false });

    const marker = JSON.parse(readFileSync(join(oldDir, importedMarkerFileName), 'utf8')) as ImportedMarker;
    assert.equal(marker.into, status.dir);
    assert.equal(marker.decisions, 3);
    assert.deepEqual(readdirSync(oldDir).sort(), [...filesBefore, importedMarkerFileName].sort(), 'only the marker was added to the old folder');

    // Marked: a reload neither imports nor tells again.
    await window.reload();
    const again = await window.decisionLog();
    assert.equal(again.decisions, 3);
    assert.equal(again.workspaceLog?.state, 'importedBefore');
    assert.deepEqual(await notificationsMatching(window, /imported/), []);
    await window.close();

    // Another workspace's old log with different records under two of the same request ids.
    const other = sampleWorkspace('other');
    const conflictingDir = await workspaceLogDir(session, 'other-before', other);
    await writeOldLog(conflictingDir, 2, 5);
    const conflicting = await session.openWindow('other', other);
    const refused = await conflicting.decisionLog();
    assert.equal(refused.state, 'ready', 'Paramloop keeps working with the user log');
    assert.equal(refused.decisions, 3, 'nothing of the refused log was imported');
    assert.equal(refused.workspaceLog?.state, 'failed');
    const errors = await notificationsMatching(conflicting, /could not be imported/);
    assert.equal(errors.length, 1);
    assert.ok(errors[0]?.includes(conflictingDir), errors[0]);
    assert.match(errors[0] ?? '', /2 of its records conflict with your log or are invalid: request id 'req-2' is already in the store with a different decision .*; request id 'req-3'/);
    assert.ok(!readdirSync(conflictingDir).includes(importedMarkerFileName), 'not marked: the next start tries again');
    await conflicting.window.screenshot('import-refused', { waitForWebview: false });
  },
};
