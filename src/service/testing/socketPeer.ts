// A child process for the socket tests: connects to the optimizer service of a folder (serving it,
// or a client of the process that does) and makes simulated planning requests without end, each a
// recommendation, its log once "sent", and its outcome, reporting on stderr:
//   role serve|client PID          once connected, with the serving process's pid
//   serving PID self|other          after a handover: who serves now
//   sent N REQUEST-ID               before logging request N's decision
//   decision N REQUEST-ID           the decision was acknowledged (durable)
//   outcome N REQUEST-ID [repeated] the outcome was acknowledged
//   error MESSAGE                   anything that went wrong
// until it is killed, or closes its connection on SIGTERM (`closed`). With PAUSE `idle` it makes no
// requests: it serves, or waits to take over.
//   node socketPeer.js DIR NAME [PAUSE_MS|idle] [rehearsal|no-rehearsal]
// Each request's session key is `NAME-N`, so the store tells which logical request a decision is.
import { join } from 'node:path';
import { createRng } from '../../core/math/random';
import { parsePolicySettings } from '../../core/policies';
import { parseRewardSettings } from '../../core/reward';
import { createLlmPlanningEnvironment } from '../../sim/llmPlanning';
import { connect } from '../connection';

const env = createLlmPlanningEnvironment();
const say = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

async function main(): Promise<void> {
  const [dir, name, pauseText, rehearsal] = process.argv.slice(2);
  if (dir === undefined || name === undefined) throw new Error('usage: socketPeer DIR NAME [PAUSE_MS|idle] [rehearsal|no-rehearsal]');
  const wasmDir = process.env.PARAMLOOP_WASM_DIR ?? join(__dirname, '..', '..', '..', 'node_modules', 'sql.js', 'dist');
  const idle = pauseText === 'idle';
  const pause = idle ? 0 : Number(pauseText ?? 5);
  const connection = await connect(dir, {
    settings: {
      space: env.space,
      policyKind: process.env.PARAMLOOP_PEER_POLICY === 'linucb' ? 'linucb' : 'thompson',
      policySettings: parsePolicySettings({}),
      rewardSettings: parseRewardSettings({}),
      ...(process.env.PARAMLOOP_PEER_BUDGET === 'unlimited' ? { guarded: { budget: { defaultLimits: { daily: null, weekly: null } } } } : {}),
    },
    open: { clock: { now: () => Date.now() }, store: { wasmDir, snapshotEveryEvents: 2000, snapshotIdleMs: 0, snapshotMaxDeferMs: 0 } },
    kind: 'extension',
    rehearse: rehearsal !== 'no-rehearsal',
    log: (message) => say(`log ${message}`),
  });
  say(`role ${connection.role} ${connection.serving.pid}`);
  connection.onServingChange((serving) => say(`serving ${serving.pid} ${serving.thisProcess ? 'self' : 'other'}`));
  let stopping = false;
  process.on('SIGTERM', () => {
    stopping = true;
  });
  if (idle) {
    await new Promise<void>((resolve) => process.once('SIGTERM', () => resolve()));
    stopping = true;
  }
  const world = createRng([...name].reduce((h, c) => h * 31 + c.charCodeAt(0), 7) >>> 0);
  for (let n = 1; !stopping; n++) {
    const context = env.sampleContext(world);
    const rec = await connection.recommend(context, `${name}-${n}`);
    if (rec.kind === 'refused') continue;
    const requestId = rec.decision.requestId;
    say(`sent ${n} ${requestId}`);
    const decision = await connection.logDecision(requestId, { honouredParams: ['temperature', 'topP', 'maxTokens'] });
    say(`decision ${n} ${decision.requestId}`);
    const outcome = env.sampleOutcome(context, env.space.arms[decision.armIndex]!, world, requestId, Date.now());
    const result = await connection.recordOutcome(requestId, outcome);
    say(`outcome ${n} ${requestId}${result.repeated === true ? ' repeated' : ''}`);
    if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause));
  }
  await connection.close();
  say('closed');
}

main().catch((error: unknown) => {
  say(`error ${error instanceof Error ? (error.stack ?? error.message).replace(/\n/g, ' | ') : String(error)}`);
  process.exit(1);
});
