// Driving socketPeer.ts children from a test: starting them (bundled, so that they start without a
// transpiler), reading their reports as they come, and waiting for a report.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { build } from 'esbuild';
import { bundledWorkerFileName } from '../../store/compactor';

const wasmDir = join(__dirname, '..', '..', '..', 'node_modules', 'sql.js', 'dist');

/** Bundles the peer and the store's snapshot worker into `outDir`; returns the peer's script. */
export async function bundlePeer(outDir: string): Promise<string> {
  const outfile = join(outDir, 'socketPeer.js');
  const common = { bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'warning' } as const;
  await build({ ...common, entryPoints: [join(__dirname, 'socketPeer.ts')], outfile });
  await build({ ...common, entryPoints: [join(__dirname, '..', '..', 'store', 'compactWorker.ts')], outfile: join(outDir, bundledWorkerFileName) });
  return outfile;
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
export function startPeer(script: string, dir: string, name: string, pauseMs = 5): Peer {
  const child = spawn(process.execPath, [script, dir, name, String(pauseMs)], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, PARAMLOOP_WASM_DIR: wasmDir } });
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
