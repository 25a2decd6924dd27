// Runs an off-policy evaluation in a worker thread (opeWorker.ts), so that the dashboard's OPE
// table never blocks the extension host's event loop; where no worker can be started, on this
// thread (the result is the same: the evaluation is seeded).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { DashboardResult } from '../shared/dashboardProtocol';
import { offPolicyEvaluation, type OpeInput } from './dashboardInsight';

/** File name of the bundled worker, next to the bundle that holds the service. */
export const bundledOpeWorkerFileName = 'opeWorker.js';

/** The worker's script next to this module: the bundled one, or running from source the `.ts` one (through tsx). */
export function detectOpeWorker(): string | undefined {
  const here = typeof __dirname === 'string' ? __dirname : undefined;
  if (here === undefined) return undefined;
  for (const name of [bundledOpeWorkerFileName, 'opeWorker.ts']) if (existsSync(join(here, name))) return join(here, name);
  return undefined;
}

function startWorker(script: string): Worker {
  if (!script.endsWith('.ts')) return new Worker(script);
  // Built at run time, so that the bundler leaves tsx (a development tool) out.
  const tsx = require.resolve(['tsx', 'cjs', 'api'].join('/'));
  return new Worker(`require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(script)});`, { eval: true });
}

/**
 * Evaluates in a worker when one can run: `worker` names its script (default: found next to this
 * module); `false` evaluates on this thread.
 */
export async function runOffPolicyEvaluation(input: OpeInput, options: { worker?: string | false } = {}): Promise<DashboardResult<'ope'>> {
  const script = options.worker === false ? undefined : (options.worker ?? detectOpeWorker());
  if (script === undefined) return offPolicyEvaluation(input);
  let worker: Worker;
  try {
    worker = startWorker(script);
  } catch {
    return offPolicyEvaluation(input);
  }
  try {
    return await new Promise<DashboardResult<'ope'>>((resolve, reject) => {
      worker.once('message', (reply: { result?: DashboardResult<'ope'>; error?: string }) => {
        if (reply.result !== undefined) resolve(reply.result);
        else reject(new Error(`off-policy evaluation failed: ${reply.error ?? 'no result'}`));
      });
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the off-policy evaluation's worker stopped (exit ${code})`)));
      worker.postMessage(input);
    });
  } finally {
    void worker.terminate();
  }
}
