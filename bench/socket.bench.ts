// The optimizer service over its local socket: a recommendation's round trip from a client (target
// p99 < 2 ms) next to the same recommendations decided in process (what the round trip adds to),
// for Thompson sampling (the default) and LinUCB, a request the server refuses at once (the
// transport alone), the durable operations' round trips (logDecision and recordOutcome: an fsync each),
// and the handover after the serving process is killed with SIGKILL, from the kill until a client
// serves (target < 1 s), with clients that rehearsed a takeover (the default) and without. The
// serving process and the other clients are separate processes; this one is the measuring client.
//
// Three views of the round trip: once both processes are warm (`recommendMs`, the target's), the
// first requests of fresh processes (`coldRecommendMs`), and requests 50 ms apart (`isolatedRecommendMs`),
// as a user's are, each finding both processes idle. `machineFloorMs` is the same three views of
// the least any round trip costs here: 1 KB echoed between two Node processes over a Unix socket.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchSection } from './sections';
import { blockP99, quantiles } from './latency';
import { createRng } from '../src/core/math/random';
import { parsePolicySettings, type PolicyKind } from '../src/core/policies';
import { parseRewardSettings } from '../src/core/reward';
import { createLlmPlanningEnvironment } from '../src/sim/llmPlanning';
import { connect, type ServiceConnection } from '../src/service/connection';
import { OptimizerService, type ServiceSettings } from '../src/service/optimizerService';
import { bundlePeer, startPeer, type Peer } from '../src/service/testing/peers';

// From bench/ when run by tsx, from out/ when bundled: both sit one level below the project root.
const srcDir = fileURLToPath(new URL('../src', import.meta.url));
const wasmDir = fileURLToPath(new URL('../node_modules/sql.js/dist', import.meta.url));
const env = createLlmPlanningEnvironment();

function settings(policyKind: PolicyKind): ServiceSettings {
  return { space: env.space, policyKind, policySettings: parsePolicySettings({}), rewardSettings: parseRewardSettings({}) };
}

async function client(dir: string, policyKind: PolicyKind): Promise<ServiceConnection> {
  return connect(dir, { settings: settings(policyKind), open: { clock: { now: () => Date.now() }, store: { wasmDir } }, kind: 'cli', rehearse: false });
}

/** The same requests decided in this process by the service itself: what a round trip adds to. */
async function inProcess(dir: string, policyKind: PolicyKind): Promise<ReturnType<typeof quantiles>> {
  const service = await OptimizerService.open(dir, settings(policyKind), { clock: { now: () => Date.now() }, store: { wasmDir } });
  try {
    const rng = createRng(1);
    const times: number[] = [];
    for (let i = 0; i < warmUpRequests + measuredRequests; i++) {
      const context = env.sampleContext(rng);
      const t = performance.now();
      service.recommend(context, `s-${i % 40}`);
      if (i >= warmUpRequests) times.push(performance.now() - t);
    }
    return quantiles(times);
  } finally {
    await service.close();
  }
}

/**
 * Requests before the round trips are measured, and those measured. Both processes start fresh:
 * their first several thousand requests run while V8 is still compiling the path (the protocol, the
 * validation, the optimizer) on background threads, which on a two-core machine compete with the
 * two processes' own threads for the cores. `warmUpCurve` (p99 of each thousand requests) shows
 * when that ends; the first 500 are reported apart, as `coldRecommendMs`.
 */
const warmUpRequests = 8000;
const measuredRequests = 2000;
/** Requests sent one at a time with a pause before each, after the measured ones. */
const isolatedRequests = 200;
const isolatedGapMs = 50;
const pause = (milliseconds: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, milliseconds));

/**
 * The machine's floor: 1 KB echoed by another Node process over a Unix socket, with nothing else
 * done on either side; the same three views as the service's round trips.
 */
async function machineFloor(root: string): Promise<Record<string, unknown>> {
  const path = join(root, 'echo.sock');
  const echo = spawn(process.execPath, ['-e', "require('node:net').createServer((s) => s.on('data', (d) => s.write(d))).listen(process.argv[1], () => process.stdout.write('ready'))", path], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(echo, 'exit');
  try {
    await once(echo.stdout, 'data');
    const socket = createConnection(path);
    await once(socket, 'connect');
    const message = Buffer.alloc(1024, 120);
    let waiting: { left: number; resolve: () => void } | undefined;
    socket.on('data', (chunk: Buffer) => {
      if (waiting === undefined) return;
      waiting.left -= chunk.length;
      if (waiting.left <= 0) waiting.resolve();
    });
    const roundTrip = async (): Promise<number> => {
      const t = performance.now();
      await new Promise<void>((resolve) => {
        waiting = { left: message.length, resolve };
        socket.write(message);
      });
      return performance.now() - t;
    };
    const all: number[] = [];
    for (let i = 0; i < warmUpRequests + measuredRequests; i++) all.push(await roundTrip());
    const isolated: number[] = [];
    for (let i = 0; i < isolatedRequests; i++) {
      await pause(isolatedGapMs);
      isolated.push(await roundTrip());
    }
    socket.destroy();
    return { warmMs: quantiles(all.slice(warmUpRequests)), coldMs: quantiles(all.slice(0, 500)), isolatedMs: quantiles(isolated) };
  } finally {
    echo.kill('SIGTERM');
    await exited;
  }
}

/** Round trips of recommend (and of logged requests) from this process to a serving child. */
async function roundTrips(script: string, dir: string, policyKind: 'thompson' | 'linucb'): Promise<Record<string, unknown>> {
  // Within budget, as a user's requests are: a spent budget audits every request it restricts, and a
  // recommendation that appends is answered once durable (a journal fsync), which this does not measure.
  const server = startPeer(script, dir, 'server', { pauseMs: 'idle', wasmDir, policyKind, unlimitedBudget: true });
  await server.next((line) => line.startsWith('role serve'));
  const connection = await client(dir, policyKind);
  try {
    const rng = createRng(1);
    const logDecision: number[] = [];
    const recordOutcome: number[] = [];
    const all: number[] = [];
    for (let i = 0; i < warmUpRequests + measuredRequests; i++) {
      const context = env.sampleContext(rng);
      let t = performance.now();
      const rec = await connection.recommend(context, `s-${i % 40}`);
      all.push(performance.now() - t);
      if (rec.kind !== 'decision' || i % 5 !== 0) continue;
      t = performance.now();
      const decision = await connection.logDecision(rec.decision.requestId, { honouredParams: ['temperature'] });
      if (i >= warmUpRequests) logDecision.push(performance.now() - t);
      t = performance.now();
      await connection.recordOutcome(decision.requestId, env.sampleOutcome(context, env.space.arms[decision.armIndex]!, rng, decision.requestId, Date.now()));
      if (i >= warmUpRequests) recordOutcome.push(performance.now() - t);
    }
    const isolated: number[] = [];
    for (let i = 0; i < isolatedRequests; i++) {
      await pause(isolatedGapMs);
      const t = performance.now();
      await connection.recommend(env.sampleContext(rng), `s-${i % 40}`);
      isolated.push(performance.now() - t);
    }
    // A request the server refuses at once (feedback on an unknown request): the transport, the
    // hello'd connection and both sides' validation, without the optimizer's own work.
    // Its own path (the refusal) is warmed up as the recommendations' was.
    const refused: number[] = [];
    for (let i = 0; i < 4000; i++) {
      const t = performance.now();
      await connection.feedback('no-such-request', { rating: 3 }).catch(() => undefined);
      if (i >= 3000) refused.push(performance.now() - t);
    }
    return {
      recommendMs: { ...quantiles(all.slice(warmUpRequests)), targetP99: 2, afterRequests: warmUpRequests },
      coldRecommendMs: quantiles(all.slice(0, 500)),
      isolatedRecommendMs: { ...quantiles(isolated), gapMs: isolatedGapMs },
      warmUpCurve: { blockSize: 1000, p99: blockP99(all, 1000) },
      logDecisionMs: quantiles(logDecision),
      recordOutcomeMs: quantiles(recordOutcome),
      transportOnlyMs: quantiles(refused),
    };
  } finally {
    await connection.close();
    server.child.kill('SIGTERM');
    await server.exited;
  }
}

/** Kills the serving process `rounds` times among three idle processes; the time until a client serves. */
async function handovers(script: string, dir: string, rounds: number, rehearse: boolean): Promise<Record<string, unknown>> {
  const peers: Peer[] = [];
  const add = async (name: string): Promise<void> => {
    const peer = startPeer(script, dir, name, { pauseMs: 'idle', rehearse, wasmDir });
    await peer.next((line) => line.startsWith('role '));
    peers.push(peer);
  };
  const times: number[] = [];
  const opened: number[] = [];
  try {
    for (let i = 0; i < 3; i++) await add(`h${i}`);
    for (let round = 0; round < rounds; round++) {
      // Clients rehearse once connected: give them the time a user's windows would have.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const server = peers.find((peer) => peer.servingPid === peer.pid)!;
      const survivors = peers.filter((peer) => peer !== server);
      const tookOver = Promise.any(survivors.map((peer) => peer.next((line) => line === `serving ${peer.pid} self`).then(() => peer)));
      const killedAt = performance.now();
      server.child.kill('SIGKILL');
      const successor = await tookOver;
      times.push(performance.now() - killedAt);
      const took = /opened and restored in (\d+) ms/.exec([...successor.logs].reverse().find((l) => l.includes('opened and restored')) ?? '');
      if (took?.[1] !== undefined) opened.push(Number(took[1]));
      await server.exited;
      peers.splice(peers.indexOf(server), 1);
      await add(`h${round + 3}`);
    }
    return { handoverMs: { ...quantiles(times), targetMax: 1000 }, storeOpenAndRestoreMs: quantiles(opened) };
  } finally {
    for (const peer of peers) peer.child.kill('SIGKILL');
    await Promise.all(peers.map((peer) => peer.exited));
  }
}

export const socketSection: BenchSection = {
  name: 'socket',
  async run() {
    const root = await mkdtemp(join(tmpdir(), 'paramloop-bench-socket-'));
    try {
      const script = await bundlePeer(root, srcDir);
      const figures: Record<string, unknown> = { loadAverage1m: Math.round(loadavg()[0]! * 100) / 100 };
      figures.machineFloorMs = await machineFloor(root);
      for (const policyKind of ['thompson', 'linucb'] as const) {
        figures[policyKind] = {
          overSocket: await roundTrips(script, join(root, `log-${policyKind}`), policyKind),
          recommendInProcessMs: await inProcess(join(root, `local-${policyKind}`), policyKind),
        };
      }
      // The Thompson log now holds 1,000 requests with their outcomes.
      const dir = join(root, 'log-thompson');
      figures.handoverRehearsed = await handovers(script, dir, 10, true);
      figures.handoverWithoutRehearsal = await handovers(script, dir, 5, false);
      figures.note =
        'separate processes: the serving child and this measuring client; logDecision and recordOutcome are answered once durable (a journal fsync); ' +
        'recommendInProcessMs is the service deciding the same requests in this process, what a round trip adds to; isolatedRecommendMs: requests 50 ms apart, each finding both processes idle; machineFloorMs: 1 KB echoed between two Node processes, nothing else done';
      return figures;
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  },
};
