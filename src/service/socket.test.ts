// The optimizer service's socket against what a peer may send (issue 11): only a peer presenting
// the lock's secret first is served; a wrong token, a request before hello, a different protocol
// version, malformed frames and invalid params are each answered with an error naming what was
// wrong, and the serving process keeps serving. A socket file left by a killed server is replaced;
// the socket's folder is the user's alone; a lock held by a process that does not serve is named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createRng } from '../core/math/random';
import { lockFileName } from '../store/lock';
import { connect } from './connection';
import { errorCodes, protocolVersion } from './protocol';
import { ServiceUnavailableError } from './serviceError';
import { ensurePrivateFolder, SocketFolderError, socketPlace } from './socketPlace';
import { environment, socketTestDir, testConnectOptions } from './testing/connectOptions';
import { rawPeer, type RawPeer } from './testing/rawPeer';

const posix = process.platform !== 'win32';
const start = Date.UTC(2026, 0, 5, 9);

async function secretOf(dir: string): Promise<string> {
  return (JSON.parse(await readFile(join(dir, lockFileName), 'utf8')) as { secret: string }).secret;
}

function helloMessage(id: number, token: string, version = protocolVersion): unknown {
  return { jsonrpc: '2.0', id, method: 'paramloop/hello', params: { protocolVersion: version, token, pid: process.pid, kind: 'cli' } };
}

async function greeted(path: string, dir: string): Promise<RawPeer> {
  const peer = await rawPeer(path);
  peer.send(helloMessage(1, await secretOf(dir)));
  const answer = await peer.next();
  assert.equal((answer.result as { pid: number }).pid, process.pid);
  return peer;
}

test('a wrong token, a request before hello, another protocol version: each refused with an error naming why, and the connection closed; the server keeps serving', async (t) => {
  const { dir, keep } = await socketTestDir(t, 'socket');
  const clock = { t: start };
  const server = keep(await connect(dir, testConnectOptions(clock)));
  assert.equal(server.role, 'serve');
  const { path } = await socketPlace(dir);

  const wrong = await rawPeer(path);
  wrong.send(helloMessage(1, 'not-the-secret'));
  const refused = await wrong.next();
  assert.equal(refused.error?.code, errorCodes.tokenRefused);
  assert.match(refused.error?.message ?? '', /the token is not the secret of the store's lock \(process \d+ was refused\)/);
  await wrong.closed;

  const early = await rawPeer(path);
  early.send({ jsonrpc: '2.0', id: 7, method: 'paramloop/status', params: {} });
  const first = await early.next();
  assert.equal(first.id, 7);
  assert.equal(first.error?.code, errorCodes.helloRequired);
  assert.match(first.error?.message ?? '', /paramloop\/status before paramloop\/hello: a connection must first present the lock's secret/);
  await early.closed;

  const older = await rawPeer(path);
  older.send(helloMessage(1, await secretOf(dir), protocolVersion + 1));
  assert.equal((await older.next()).error?.code, errorCodes.protocolMismatch);
  await older.closed;

  const client = keep(await connect(dir, testConnectOptions(clock)));
  assert.equal(client.role, 'client');
  assert.equal((await client.status()).decisions, 0);
});

test('malformed frames, bodies that are not JSON-RPC, unknown methods and invalid params are answered with errors naming what was wrong; nothing is stored and the server keeps serving', async (t) => {
  const { dir, keep } = await socketTestDir(t, 'socket');
  const clock = { t: start };
  const server = keep(await connect(dir, testConnectOptions(clock)));
  const { path } = await socketPlace(dir);
  const peer = await greeted(path, dir);

  peer.send('{"jsonrpc": "2.0", "id": 2, "method": ');
  const notJson = await peer.next();
  assert.equal(notJson.id, null);
  assert.equal(notJson.error?.code, errorCodes.parseError);
  assert.match(notJson.error?.message ?? '', /message body is not JSON/);

  peer.send({ foo: 1 });
  assert.match((await peer.next()).error?.message ?? '', /not a JSON-RPC 2\.0 message: a message needs a "method"/);
  peer.send([{ jsonrpc: '2.0', id: 3, method: 'paramloop/status' }]);
  assert.match((await peer.next()).error?.message ?? '', /batches are not accepted/);
  peer.send({ jsonrpc: '2.0', id: { nested: true }, method: 'paramloop/status' });
  const badId = await peer.next();
  assert.equal(badId.error?.code, errorCodes.invalidRequest);
  assert.match(badId.error?.message ?? '', /id/);

  peer.send({ jsonrpc: '2.0', id: 4, method: 'paramloop/dropTables', params: {} });
  const unknown = await peer.next();
  assert.equal(unknown.id, 4);
  assert.equal(unknown.error?.code, errorCodes.methodNotFound);
  assert.match(unknown.error?.message ?? '', /unknown method paramloop\/dropTables; the methods are paramloop\/recommend, /);

  const context = environment.sampleContext(createRng(1));
  peer.send({ jsonrpc: '2.0', id: 5, method: 'paramloop/recommend', params: { callId: 'c5', retry: false, context: { ...context, hour: 31 } } });
  const invalid = await peer.next();
  assert.equal(invalid.error?.code, errorCodes.invalidParams);
  assert.match(invalid.error?.message ?? '', /paramloop\/recommend: invalid params: context\.hour: .*23.*; sessionKey: /);

  const outcome = { requestId: 'r-1', timestamp: start, latencyMs: 100, tokensIn: 10, tokensOut: 10, finishReason: 'stop', quality: 2 };
  peer.send({ jsonrpc: '2.0', id: 6, method: 'paramloop/recordOutcome', params: { callId: 'c6', retry: false, requestId: 'r-1', outcome, extra: 1 } });
  const badOutcome = await peer.next();
  assert.equal(badOutcome.error?.code, errorCodes.invalidParams);
  assert.match(badOutcome.error?.message ?? '', /outcome\.quality: .*1/);
  assert.match(badOutcome.error?.message ?? '', /extra/);

  peer.send({ jsonrpc: '2.0', id: 7, method: 'paramloop/logDecision', params: { callId: 'c7', retry: false, requestId: 'never-recommended' } });
  const refused = await peer.next();
  assert.equal(refused.error?.code, errorCodes.operationFailed);
  assert.match(refused.error?.message ?? '', /never-recommended/);

  // The connection still works after all that.
  peer.send({ jsonrpc: '2.0', id: 8, method: 'paramloop/status', params: {} });
  const status = await peer.next();
  assert.equal(status.id, 8);
  assert.equal((status.result as { decisions: number }).decisions, 0);

  // A frame that cannot be read (its length beyond what is accepted) ends the connection, after an error.
  peer.sendBytes('Content-Length: 99999999999\r\n\r\n');
  const tooLong = await peer.next();
  assert.equal(tooLong.error?.code, errorCodes.parseError);
  assert.match(tooLong.error?.message ?? '', /Content-Length is not a number of bytes|longer than/);
  await peer.closed;
  const headless = await greeted(path, dir);
  headless.sendBytes('Content-Type: text/plain\r\n\r\n{}');
  assert.match((await headless.next()).error?.message ?? '', /without a Content-Length/);
  await headless.closed;

  const client = keep(await connect(dir, testConnectOptions(clock)));
  const rec = await client.recommend(context, 'session-1');
  assert.equal(rec.kind, 'decision');
  assert.equal(server.service?.store.decisionCount(), 0, 'nothing was logged by the bad requests');
});

test('a socket file left by a server that was killed is replaced by the next server', { skip: !posix }, async (t) => {
  const { dir, keep } = await socketTestDir(t, 'socket');
  await mkdir(dir, { recursive: true });
  const place = await socketPlace(dir);
  await ensurePrivateFolder(place.folder);
  // A process listening on the socket, killed: its socket file stays behind.
  const child = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(place.path)}, () => console.log('listening'))`], { stdio: ['ignore', 'pipe', 'ignore'] });
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  child.kill('SIGKILL');
  await new Promise<void>((resolve) => child.once('exit', () => resolve()));
  assert.ok(existsSync(place.path), 'the killed process left its socket file');

  const clock = { t: start };
  const server = keep(await connect(dir, testConnectOptions(clock)));
  assert.equal(server.role, 'serve');
  const client = keep(await connect(dir, testConnectOptions(clock)));
  assert.equal(client.role, 'client');
  assert.equal((await client.status()).phase, 'shadow');
});

test("the socket's folder is the user's alone: created 0700, a wider one narrowed, a symbolic link refused", { skip: !posix }, async (t) => {
  const { dir, keep } = await socketTestDir(t, 'socket');
  const clock = { t: start };
  const server = keep(await connect(dir, testConnectOptions(clock)));
  const place = await socketPlace(dir);
  assert.equal((await stat(place.folder)).mode & 0o777, 0o700);
  assert.equal((await stat(place.path)).mode & 0o777, 0o600);
  await server.close();

  await chmod(place.folder, 0o755);
  await ensurePrivateFolder(place.folder);
  assert.equal((await stat(place.folder)).mode & 0o777, 0o700);

  const elsewhere = join(dir, 'elsewhere');
  await mkdir(elsewhere, { mode: 0o700 });
  const linked = join(dir, 'linked');
  await symlink(elsewhere, linked);
  await assert.rejects(ensurePrivateFolder(linked), (error: unknown) => error instanceof SocketFolderError && /is a symbolic link, not a folder/.test(error.message));
});

test('a lock held by a live process that does not serve: connecting gives up at its deadline, naming the process', async (t) => {
  const { dir } = await socketTestDir(t, 'socket');
  await mkdir(dir, { recursive: true });
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  t.after(() => child.kill('SIGKILL'));
  await writeFile(join(dir, lockFileName), JSON.stringify({ pid: child.pid, host: hostname(), since: start, token: 't', secret: 's' }));
  const clock = { t: start };
  await assert.rejects(connect(dir, testConnectOptions(clock, { timeoutMs: 300 })), (error: unknown) => {
    assert.ok(error instanceof ServiceUnavailableError);
    assert.match(error.message, new RegExp(`still waiting for process ${child.pid}, which holds the store, to answer on `));
    return true;
  });
});

test('a client only (serve: false) never serves: with none serving it fails at once and creates nothing; with one serving it asks it, status at a given time included', async (t) => {
  const { dir, keep } = await socketTestDir(t, 'socket');
  const started = Date.now();
  await assert.rejects(connect(join(dir, 'missing'), { serve: false, kind: 'cli' }), (error: unknown) => error instanceof ServiceUnavailableError && /no process serves it/.test(error.message));
  assert.equal(existsSync(join(dir, 'missing')), false, 'the folder was not created');
  await mkdir(join(dir, 'log'));
  await assert.rejects(connect(join(dir, 'log'), { serve: false, kind: 'cli' }), (error: unknown) => error instanceof ServiceUnavailableError && /no process serves it \(nothing holds its lock\)/.test(error.message));
  assert.ok(Date.now() - started < 2000, 'it did not wait for a deadline');
  assert.deepEqual(await readdir(join(dir, 'log')), [], 'nothing was written into the folder');

  const clock = { t: start };
  const server = keep(await connect(join(dir, 'log'), testConnectOptions(clock)));
  const client = keep(await connect(join(dir, 'log'), { serve: false, kind: 'cli' }));
  assert.equal(client.role, 'client');
  assert.equal(client.serving.pid, process.pid);
  assert.equal((await client.status()).progress.days, 0);
  assert.equal((await client.status(start + 2.5 * 86_400_000)).progress.days, 2.5);
  // Once the serving process has gone, the client only does not take over.
  await server.close();
  await assert.rejects(client.status(), (error: unknown) => error instanceof ServiceUnavailableError);
  assert.equal(existsSync(join(dir, 'log', lockFileName)), false, 'no process holds the lock');
});
