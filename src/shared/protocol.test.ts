import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHostMessage, parseWebviewMessage } from './protocol';

test('accepts a well-formed ready message from the webview', () => {
  assert.deepEqual(parseWebviewMessage({ type: 'ready', protocolVersion: 1 }), { ok: true, message: { type: 'ready', protocolVersion: 1 } });
});

test('rejects a command outside the allowed list, naming the field', () => {
  const result = parseWebviewMessage({ type: 'runCommand', requestId: '1', command: 'workbench.action.terminal.new' });
  assert.equal(result.ok, false);
  assert.match(result.ok ? '' : result.error, /^command:/);
});

test('rejects unknown fields and non-objects', () => {
  assert.equal(parseWebviewMessage({ type: 'ready', protocolVersion: 1, extra: true }).ok, false);
  assert.equal(parseWebviewMessage('ready').ok, false);
  assert.equal(parseWebviewMessage(null).ok, false);
});

test('validates host status messages on the webview side', () => {
  const store = { state: 'ready', detail: '' };
  const ok = parseHostMessage({ type: 'status', extensionVersion: '0.1.0', phase: 'canary', decisionsLogged: 3, store, note: '' });
  assert.equal(ok.ok, true, ok.ok ? '' : ok.error);
  const bad = parseHostMessage({ type: 'status', extensionVersion: '0.1.0', phase: 'everywhere', decisionsLogged: -1, store: { state: 'gone', detail: '' }, note: '' });
  assert.equal(bad.ok, false);
  assert.match(bad.ok ? '' : bad.error, /phase/);
  assert.match(bad.ok ? '' : bad.error, /decisionsLogged/);
  assert.match(bad.ok ? '' : bad.error, /store\.state/);
  const missing = parseHostMessage({ type: 'status', extensionVersion: '0.1.0', phase: 'canary', decisionsLogged: 3, note: '' });
  assert.match(missing.ok ? '' : missing.error, /store/);
});
