// The worker thread that runs the dashboard's off-policy evaluations (opeRunner.ts starts it): a
// candidate trained and scored with a bootstrap takes a few hundred milliseconds, which must not
// block the editor's extension host. One request in, one reply out, then the runner ends it.
import { parentPort } from 'node:worker_threads';
import { offPolicyEvaluation, type OpeInput } from './dashboardInsight';

parentPort?.once('message', (input: OpeInput) => {
  try {
    parentPort?.postMessage({ result: offPolicyEvaluation(input) });
  } catch (error) {
    parentPort?.postMessage({ error: error instanceof Error ? error.message : String(error) });
  }
});
