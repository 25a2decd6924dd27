// One learner, many processes (issue 11): three real processes on one folder, each making planning
// requests through connect(); one serves, the others are its clients. The serving process is killed
// with SIGKILL mid-stream 20 times (a new client joins after each kill): each time a client takes
// over and every other process reconnects to it. Afterwards every decision and outcome a process
// had acknowledged is in the store, every stored decision is one a process sent, and no request is
// logged twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../store/store';
import { seededRandom } from '../store/testing/synthetic';
import { bundlePeer, startPeer, type Peer } from './testing/peers';

const wasmDir = join(__dirname, '..', '..', 'node_modules', 'sql.js', 'dist');
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `peer` has acknowledged `more` outcomes beyond those it has now. */
function outcomesBeyond(peer: Peer, more: number): Promise<string> {
  const target = peer.outcomes.size + more;
  return peer.next(() => peer.outcomes.size >= target);
}

test('20 kill -9s of the serving process among three: a client takes over, the others reconnect, nothing acknowledged is lost and nothing is logged twice', { timeout: 600_000 }, async () => {
  const root = await mkdtemp(join(tmpdir(), 'paramloop-handover-'));
  const dir = join(root, 'log');
  const random = seededRandom(11);
  const peers: Peer[] = [];
  const everyone: Peer[] = [];
  const handovers: number[] = [];
  const script = await bundlePeer(root);
  const join_ = async (name: string, role: 'serve' | 'client'): Promise<Peer> => {
    const peer = startPeer(script, dir, name);
    everyone.push(peer);
    await peer.next((line) => line.startsWith(`role ${role}`));
    peers.push(peer);
    return peer;
  };
  try {
    await join_('p0', 'serve');
    await join_('p1', 'client');
    await join_('p2', 'client');
    for (let round = 1; round <= 20; round++) {
      // Mid-stream: every process has requests going through the current server.
      await Promise.all(peers.map((peer) => outcomesBeyond(peer, 2)));
      await sleep(Math.floor(random() * 100));
      const server = peers.find((peer) => peer.servingPid === peer.pid);
      assert.ok(server, `round ${round}: no process says it serves (${peers.map((p) => `${p.name}:${p.servingPid}`).join(', ')})`);
      const survivors = peers.filter((peer) => peer !== server);
      const tookOver = Promise.any(survivors.map((peer) => peer.next((line) => line === `serving ${peer.pid} self`).then(() => peer)));
      const killedAt = performance.now();
      server.child.kill('SIGKILL');
      const successor = await tookOver;
      handovers.push(performance.now() - killedAt);
      if (process.env.HANDOVER_DEBUG) console.error(`round ${round}: ${successor.name} took over in ${Math.round(handovers.at(-1)!)} ms: ${successor.logs.slice(-3).join(' / ')}`);
      await server.exited;
      peers.splice(peers.indexOf(server), 1);
      // The others reconnect to the new server (those that had not already found it).
      await Promise.all(survivors.filter((peer) => peer !== successor && peer.servingPid !== successor.pid).map((peer) => peer.next((line) => line === `serving ${successor.pid} other`)));
      await join_(`p${round + 2}`, 'client');
    }
    await Promise.all(peers.map((peer) => outcomesBeyond(peer, 2)));
    // Clients first, then the server, each closing its connection.
    const server = peers.find((peer) => peer.servingPid === peer.pid);
    for (const peer of [...peers.filter((p) => p !== server), ...(server ? [server] : [])]) {
      peer.child.kill('SIGTERM');
      await peer.exited;
    }
  } finally {
    for (const peer of everyone) peer.child.kill('SIGKILL');
    await Promise.all(everyone.map((peer) => peer.exited));
  }
  try {
    assert.deepEqual(everyone.flatMap((peer) => peer.errors), []);
    const store = await openStore(dir, { wasmDir, readOnly: true });
    try {
      const stored = new Map<string, { sessionKey: string | undefined; outcome: boolean }>();
      for (const logged of store.iterateLogged()) stored.set(logged.decision.requestId, { sessionKey: logged.decision.sessionKey, outcome: logged.outcome !== undefined });
      const sent = new Map<string, string>();
      for (const peer of everyone) for (const [n, requestId] of peer.sent) sent.set(requestId, `${peer.name}-${n}`);
      for (const peer of everyone) {
        for (const [n, requestId] of peer.decisions) assert.ok(stored.has(requestId), `${peer.name}'s acknowledged decision ${n} (${requestId}) is not stored`);
        for (const [n, requestId] of peer.outcomes) assert.equal(stored.get(requestId)?.outcome, true, `${peer.name}'s acknowledged outcome ${n} (${requestId}) is not stored`);
      }
      const sessions = new Set<string>();
      for (const [requestId, { sessionKey }] of stored) {
        assert.equal(sent.get(requestId), sessionKey, `stored decision ${requestId} is not one a process sent as ${sessionKey}`);
        assert.ok(!sessions.has(sessionKey ?? ''), `request ${sessionKey} is logged twice`);
        sessions.add(sessionKey ?? '');
      }
      const acked = everyone.reduce((sum, peer) => sum + peer.decisions.size, 0);
      assert.ok(acked >= 20 * 6, `only ${acked} decisions acknowledged`);
      assert.equal(handovers.length, 20);
      const sorted = [...handovers].sort((a, b) => a - b);
      // The target is a second (the bench measures it); on a loaded machine the tail may exceed it.
      assert.ok(sorted[Math.floor(sorted.length / 2)]! < 1000, `median handover ${Math.round(sorted[10]!)} ms: ${sorted.map(Math.round).join(', ')}`);
      if (process.env.HANDOVER_DEBUG) console.error(`handovers ${handovers.map(Math.round).join(', ')}; acknowledged ${acked}, stored ${stored.size}; repeated outcomes ${everyone.reduce((s, p) => s + p.repeatedOutcomes, 0)}`);
    } finally {
      await store.close();
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
