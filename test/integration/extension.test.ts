// Specifications of the extension as it runs in a real VS Code extension host: it is present,
// activates, registers what package.json contributes, and its sidebar webview renders the status the
// host sends. Runs against the packaged .vsix installed into an extensions folder (the way users get
// it), against the project folder in development mode, and under @vscode/test-electron.
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import * as vscode from 'vscode';
import type { ParamloopApi } from '../../src/extension/extension';
import { askRunner, hasRunner, testMode } from './hostChannel';

const extensionId = 'paramloop.paramloop';

interface PackageManifest {
  version: string;
  contributes: { commands: Array<{ command: string }> };
}

/** The project's package.json, found next to the bundled suite (out/integration/ → project root). */
function projectManifest(): PackageManifest {
  return JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as PackageManifest;
}

function projectRoot(): string {
  return resolve(__dirname, '..', '..');
}

function isInside(child: string, parent: string): boolean {
  const rel = relative(resolve(parent), resolve(child));
  return rel !== '' && !rel.startsWith('..') && !rel.startsWith(sep);
}

async function activated(): Promise<vscode.Extension<ParamloopApi>> {
  const extension = vscode.extensions.getExtension<ParamloopApi>(extensionId);
  assert.ok(extension, `${extensionId} is not among the host's extensions`);
  await extension.activate();
  return extension;
}

describe(`Paramloop in a real extension host (${testMode()} mode)`, () => {
  it(`is present as ${extensionId} and activates`, async () => {
    const extension = await activated();
    assert.equal(extension.isActive, true);
    assert.equal(extension.packageJSON.name, 'paramloop');
  });

  it('activate() returns activationMs > 0 and the version from package.json', async () => {
    const api = (await activated()).exports;
    const expected = projectManifest().version;
    assert.equal(api.version, expected);
    assert.equal(typeof api.activationMs, 'number');
    assert.ok(api.activationMs > 0, `activationMs = ${api.activationMs}`);
    console.log(`PARAMLOOP_METRIC activationMs=${api.activationMs.toFixed(3)}`);
  });

  it('registers every command that package.json contributes', async () => {
    await activated();
    const contributed = projectManifest().contributes.commands.map((c) => c.command);
    assert.ok(contributed.length >= 3, `only ${contributed.length} commands in package.json`);
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = contributed.filter((command) => !registered.has(command));
    assert.deepEqual(missing, [], `contributed but not registered: ${missing.join(', ')}`);
  });

  it('runs the extension under test from the location its mode says', async () => {
    const extension = await activated();
    const mode = testMode();
    console.log(`extension under test: ${extension.extensionPath}`);
    if (mode === 'installed') {
      const extensionsDir = process.env.PARAMLOOP_TEST_EXTENSIONS_DIR;
      assert.ok(extensionsDir, 'PARAMLOOP_TEST_EXTENSIONS_DIR is not set');
      assert.ok(isInside(extension.extensionPath, extensionsDir), `${extension.extensionPath} is not inside ${extensionsDir}`);
      assert.ok(!isInside(extension.extensionPath, projectRoot()), `${extension.extensionPath} is inside the project folder`);
    } else {
      assert.equal(resolve(extension.extensionPath), projectRoot());
    }
  });

  it('the sidebar (paramloop.sidebar.focus) opens and its webview renders the status the host sends', async function () {
    const extension = await activated();
    await extension.exports.decisionLog();
    await vscode.commands.executeCommand('paramloop.sidebar.focus');
    if (!hasRunner()) {
      // test-electron has no browser to look into the webview with; the command resolving is all we see.
      this.skip();
    }
    const seen = await askRunner<{ ok: boolean; text?: string; error?: string }>('webviewText', ['30000']);
    assert.ok(seen.ok, seen.error);
    const text = seen.text ?? '';
    assert.match(text, /Rollout phase\s+shadow/);
    assert.match(text, /Decisions logged\s+0/);
    assert.match(text, /Decision log\s+ready/);
    assert.match(text, new RegExp(`Version\\s+${extension.exports.version.replace(/\./g, '\\.')}`));
    assert.doesNotMatch(text, /Loading/);
    const shot = await askRunner<{ ok: boolean; webviewRendered?: boolean }>('screenshot', ['sidebar-status']);
    assert.equal(shot.webviewRendered, true);
  });

  it("opens the user's decision log in the global storage off the activation path, holding the folder lock", async () => {
    const extension = await activated();
    const log = await extension.exports.decisionLog();
    assert.equal(log.state, 'ready', JSON.stringify(log.messages));
    // One log per user, whatever the workspace; the workspace's storage is only looked at for an earlier log.
    assert.match(log.dir, /[/\\]User[/\\]globalStorage[/\\]paramloop\.paramloop[/\\]decision-log$/);
    assert.match(log.workspaceLog?.dir ?? '', /[/\\]User[/\\]workspaceStorage[/\\][^/\\]+[/\\]paramloop\.paramloop[/\\]decision-log$/);
    assert.equal(log.workspaceLog?.state, 'none');
    assert.equal(log.decisions, 0);
    assert.deepEqual(log.messages, []);
    const files = readdirSync(log.dir);
    assert.ok(files.includes('store.lock'), `no lock among ${files.join(', ')}`);
    assert.ok(files.some((name) => /^journal-\d+\.log$/.test(name)), `no journal segment among ${files.join(', ')}`);
    const lock = JSON.parse(readFileSync(join(log.dir, 'store.lock'), 'utf8')) as { pid: number };
    assert.equal(lock.pid, process.pid, 'the extension host holds the lock');
  });

  it("takes the store settings from the user's settings only: a workspace cannot change how the user's log is kept", async () => {
    await activated();
    const config = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration('paramloop');
    for (const key of ['store.keepDays', 'store.keepDecisions', 'store.includePromptText']) {
      await assert.rejects(Promise.resolve(config().update(key, key === 'store.includePromptText' ? true : 1, vscode.ConfigurationTarget.Workspace)), /User Settings|user settings/i, key);
      assert.equal(config().inspect(key)?.workspaceValue, undefined, key);
    }
    await config().update('store.keepDays', 30, vscode.ConfigurationTarget.Global);
    try {
      assert.equal(config().get('store.keepDays'), 30, "the user's value reaches the extension host");
    } finally {
      await config().update('store.keepDays', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('paramloop.showLog and paramloop.openSettings run without error', async () => {
    await activated();
    await vscode.commands.executeCommand('paramloop.showLog');
    await vscode.commands.executeCommand('paramloop.openSettings');
  });
});
