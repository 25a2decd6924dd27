// Driving socketPeer.ts children from a test: starting them (bundled, so that they start without a
// transpiler), reading their reports as they come, and waiting for a report.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { build } from 'esbuild';
import { bundledWorkerFileName } from '../../store/compactor';

/**
 * Bundles the peer and the store's snapshot worker into `outDir`; returns the peer's script.
 * `srcDir`: the project's src folder (given by callers bundled as ES modules, which have no __dirname).
 */
export async function bundlePeer(outDir: string, srcDir = join(__dirname, '..', '..')): Promise<string> {
  const outfile = join(outDir, 'socketPeer.js');
  const common = { bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'warning' } as const;
  await build({ ...common, entryPoints: [join(srcDir, 'service', 'testing', 'socketPeer.ts')], outfile });
  await build({ ...common, entryPoints: [join(srcDir, 'store', 'compactWorker.ts')], outfile: join(outDir, bundledWorkerFileName) });
  return outfile;
}

/** How a peer runs. */
export interface PeerOptions {
  /** Pause between its requests (ms, default 5); 'idle': it makes none (it only serves, or waits to). */
  pauseMs?: number | 'idle';
  /** Rehearse a takeover once connected as a client (default true). */
  rehearse?: boolean;
  /** Folder of sql-wasm.wasm (default: node_modules/sql.js/dist of this project). */
  wasmDir?: string;
  /** The learned policy when it serves (default thompson). */
  policyKind?: 'thompson' | 'linucb';
  /** No token budget: recommendations then append nothing (a spent budget audits every request it restricts). */
  unlimitedBudget?: boolean;
}

/** A running peer and what it reported. */
export interface Peer {
  name: string;
  child: ChildProcess;
  pid: number;
  /** The serving process's pid, as this peer last knew it. */
  servingPid: number | undefined;
  /** Request n → request id, for each decision about to be logged, acknowledged, and its outcome acknowledged. */
  sent: Map<number, string>;
  decisions: Map<number, string>;
  outcomes: Map<number, string>;
  repeatedOutcomes: number;
  errors: string[];
  /** What the peer's connection logged (takeovers, timings). */
  logs: string[];
  exited: Promise<void>;
  /** Resolves with the first report (from now on) that `match` accepts. */
  next(match: (line: string) => boolean, timeoutMs?: number): Promise<string>;
}

/** Starts a peer on `dir`. */
export function startPeer(script: string, dir: string, name: string, options: PeerOptions = {}): Peer {
  const wasmDir = options.wasmDir ?? join(__dirname, '..', '..', '..', 'node_modules', 'sql.js', 'dist');
  const args = [script, dir, name, String(options.pauseMs ?? 5), options.rehearse === false ? 'no-rehearsal' : 'rehearsal'];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, PARAMLOOP_WASM_DIR: wasmDir, PARAMLOOP_PEER_POLICY: options.policyKind ?? 'thompson', PARAMLOOP_PEER_BUDGET: options.unlimitedBudget ? 'unlimited' : 'default' } });
  if (child.pid === undefined) throw new Error('could not start a peer');
  const waiters = new Set<{ match: (line: string) => boolean; resolve: (line: string) => void }>();
  const peer: Peer = {
    name,
    child,
    pid: child.pid,
    servingPid: undefined,
    sent: new Map(),
    decisions: new Map(),
    outcomes: new Map(),
    repeatedOutcomes: 0,
    errors: [],
    logs: [],
    exited: new Promise((resolve) => child.once('exit', () => resolve())),
    next(match, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const waiter = {
          match,
          resolve: (line: string) => {
            clearTimeout(timer);
            resolve(line);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`peer ${name} (${child.pid}): no matching report within ${timeoutMs} ms; errors: ${peer.errors.join(' / ')}`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
  };
  let buffered = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? ''; // a line cut by a kill is not a report
    for (const line of lines) {
      const [kind, a, b, c] = line.split(' ');
      if (kind === 'role' || kind === 'serving') peer.servingPid = Number(kind === 'role' ? b : a);
      else if (kind === 'sent') peer.sent.set(Number(a), b!);
      else if (kind === 'decision') peer.decisions.set(Number(a), b!);
      else if (kind === 'outcome') {
        peer.outcomes.set(Number(a), b!);
        if (c === 'repeated') peer.repeatedOutcomes++;
      } else if (kind === 'error') peer.errors.push(line);
      else if (kind === 'log') peer.logs.push(line.slice(4));
      for (const waiter of [...waiters]) {
        if (waiter.match(line)) {
          waiters.delete(waiter);
          waiter.resolve(line);
        }
      }
    }
  });
  return peer;
}
