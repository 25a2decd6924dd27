// `paramloop status --db DIR [--json] [--at TIME]`: what the learner in a decision log knows: the
// rollout phase and its progress towards the next gate, the log's counts, the arm the learned policy
// favours for each task type next to the baseline's, the gate's last verdict, today's budget use, the
// waivers that stand, and anything restoring found.
//
// The process that holds the store's lock serves the optimizer (src/service/connect.ts); while one
// does, this command is its client and prints the status that process answers over the socket
// (its learner, its settings), saying which process that is. When none does, it restores the learner
// from the log itself, read-only: nothing in DIR is written either way.
import { parsePolicySettings, policyKinds, type PolicyKind, type PolicySettings } from '../../core/policies';
import { parseRewardSettings } from '../../core/reward';
import { buildSpace, type ParameterSpace } from '../../core/space';
import { connect, type ServingProcess } from '../../service/connection';
import { OptimizerService } from '../../service/optimizerService';
import type { ServerKind } from '../../service/protocol';
import { ServiceUnavailableError } from '../../service/serviceError';
import { SocketFolderError } from '../../service/socketPlace';
import type { ServiceStatus } from '../../service/status';
import { checkpointOf } from '../../service/storeRecords';
import { readLockState, type LockState } from '../../service/takeover';
import { defaultWasmDir } from '../../store/sqlite';
import { openStore } from '../../store/store';
import { towards } from '../../shared/progressText';
import { parseCommandArgs, parseTimeOption } from '../args';
import { CliError, type CliCommand } from '../io';
import { readJsonFile } from '../jsonFile';

const help = `usage: paramloop status --db DIR [--space FILE] [--settings FILE] [--at TIME] [--json]

Prints the learner's rollout phase and progress, the log's counts, the arm favoured per task type
(posterior mean and sd of its reward, next to the baseline arm's), the gate's last verdict, today's
budget use and the active waivers, and which process serves the log. While a process serves the log
in DIR (a VS Code window, or another paramloop command), the status is that process's, asked over
its socket; otherwise the learner is restored from the log read-only. Nothing in DIR is written.
  --space FILE     the parameter space the log was written with (default: the default space);
                   not used while another process serves the log (it has its own)
  --settings FILE  policy settings (default: the defaults); the policy kind is the log's own;
                   not used while another process serves the log
  --at TIME        compute days in the phase and today's budget at TIME (ISO 8601 such as
                   2026-01-20T12:00Z, or ms since the epoch) instead of now: for a simulated log,
                   whose clock is not today's (the budget keeps only its current day and week, so a
                   TIME in an earlier one shows nothing spent)
  --json           one JSON object on stdout: the status, and servedBy (who answered it)`;

/** How long to wait for the holder of the lock to answer as the serving process before reading the log itself. */
const answerTimeoutMs = 2000;

/** Who the status came from: the serving process, or this one reading the log read-only because none serves. */
export type ServedBy =
  | { thisProcess: false; pid: number; kind: ServerKind; since: number; readOnly: false }
  | { thisProcess: true; pid: number; kind: 'cli'; since: number; readOnly: true; reason: string };

export const statusCommand: CliCommand = {
  summary: "show the learner's state in a decision log: phase, progress, favoured arms, budget",
  async run(args, io) {
    const { values } = parseCommandArgs(args, {
      db: { type: 'string' },
      space: { type: 'string' },
      settings: { type: 'string' },
      at: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    });
    if (values.help) {
      io.stdout(`${help}\n`);
      return 0;
    }
    if (values.db === undefined) throw new CliError('--db DIR is required');
    const db = values.db;
    const at = parseTimeOption(values.at, '--at');
    let space: ParameterSpace;
    let policySettings: PolicySettings;
    try {
      space = buildSpace(values.space !== undefined ? await readJsonFile(values.space, '--space') : {});
      policySettings = parsePolicySettings(values.settings !== undefined ? await readJsonFile(values.settings, '--settings') : {});
    } catch (error) {
      if (error instanceof CliError) throw error;
      throw new CliError(error instanceof Error ? error.message : String(error));
    }
    const asked = await askServingProcess(db, at);
    let status: ServiceStatus;
    let servedBy: ServedBy;
    if ('status' in asked) {
      ({ status } = asked);
      const { pid, kind, since } = asked.serving;
      servedBy = { thisProcess: false, pid, kind, since, readOnly: false };
      const unused = (['space', 'settings'] as const).filter((name) => values[name] !== undefined).map((name) => `--${name}`);
      if (unused.length > 0) io.stderr(`paramloop status: ${unused.join(' and ')} not used: process ${pid} serves this log with its own settings\n`);
    } else {
      const since = Date.now();
      status = await readStatus(db, space, policySettings, at);
      servedBy = { thisProcess: true, pid: process.pid, kind: 'cli', since, readOnly: true, reason: asked.reason };
    }
    io.stdout(values.json ? `${JSON.stringify({ ...status, servedBy })}\n` : describe(db, status, servedBy, at));
    return 0;
  },
};

/**
 * The status from the process that serves the log in `db`, asked over its socket as a client only
 * (this process never serves, so it writes nothing); or why there is none to ask.
 */
async function askServingProcess(db: string, at: number | undefined): Promise<{ status: ServiceStatus; serving: ServingProcess } | { reason: string }> {
  let state: LockState;
  try {
    state = await readLockState(db);
  } catch {
    // Not a folder, or unreadable: reading the log says what is wrong with it.
    return { reason: 'no process serves it' };
  }
  switch (state.kind) {
    case 'free':
      return { reason: 'no process serves it' };
    case 'stale':
      return { reason: `no process serves it (process ${state.holder?.pid ?? 'unknown'}, which held it, has ended)` };
    case 'foreign':
      return { reason: `process ${state.holder.pid} on host ${state.holder.host} holds it; only a process on that host can serve it` };
    case 'live':
      break;
  }
  const { pid } = state.holder;
  const notServing = `process ${pid} holds it without serving it (a command that writes the log directly, or an older version)`;
  if (state.holder.secret === undefined) return { reason: notServing };
  let connection;
  try {
    connection = await connect(db, { serve: false, kind: 'cli', timeoutMs: answerTimeoutMs });
  } catch (error) {
    if (error instanceof ServiceUnavailableError || error instanceof SocketFolderError) {
      return { reason: `process ${pid} holds it but did not answer as its optimizer service within ${answerTimeoutMs / 1000} s (it writes the log directly, or is still opening it)` };
    }
    throw error;
  }
  try {
    return { status: await connection.status(at), serving: connection.serving };
  } catch (error) {
    if (error instanceof ServiceUnavailableError) return { reason: `process ${pid} stopped serving it while asked` };
    throw error;
  } finally {
    await connection.close();
  }
}

/** The status of the learner restored from the log in `db`, read-only (nothing is written). */
async function readStatus(db: string, space: ParameterSpace, policySettings: PolicySettings, at: number | undefined): Promise<ServiceStatus> {
  const wasmDir = defaultWasmDir(__dirname);
  const policyKind = await logPolicyKind(db, wasmDir);
  const service = await OptimizerService.open(
    db,
    { space, policyKind, policySettings, rewardSettings: parseRewardSettings({}) },
    { clock: { now: () => Date.now() }, store: { wasmDir, readOnly: true } },
  );
  try {
    return service.status(at);
  } finally {
    await service.close();
  }
}

/** The policy kind of the log's newest checkpoint (Thompson sampling, the default, without one). */
async function logPolicyKind(db: string, wasmDir: string): Promise<PolicyKind> {
  const store = await openStore(db, { wasmDir, readOnly: true });
  try {
    const newest = store.checkpoints()[0];
    const kind = newest ? checkpointOf(newest.payload)?.optimizer.learned.kind : undefined;
    return kind !== undefined && (policyKinds as readonly string[]).includes(kind) ? kind : 'thompson';
  } finally {
    await store.close();
  }
}

const f = (x: number, digits = 3): string => (Number.isFinite(x) ? x.toFixed(digits) : String(x));

const kindInWords: Record<ServerKind, string> = { extension: 'a VS Code window', cli: 'a paramloop command' };

/** Who the status came from, in words. */
function describeServedBy(by: ServedBy): string {
  if (by.readOnly) return `served by: none; read by this process (${by.pid}, cli) from the log, read-only: ${by.reason}`;
  return `served by: process ${by.pid} (${by.kind}: ${kindInWords[by.kind]}), serving since ${new Date(by.since).toISOString()}`;
}

/** The status in words. */
function describe(db: string, s: ServiceStatus, servedBy: ServedBy, at: number | undefined): string {
  const p = s.progress;
  const lines = [
    `decision log ${db}: ${s.decisions} decisions, ${s.outcomes} outcomes, ${s.pending} waiting for an outcome`,
    describeServedBy(servedBy),
    ...(at !== undefined ? [`at ${new Date(at).toISOString()} (--at)`] : []),
    `learner: ${s.policyKind}, learned from ${s.policyVersion} outcomes`,
    `rollout: ${s.phase} (${s.rolloutStatus}); ${towards(p.samples, p.minSamples, 'samples')}, ${towards(p.days, p.minDays, 'days', 1)} (deadline ${p.deadlineDays})${s.incidents > 0 ? `; ${s.incidents} incidents` : ''}`,
  ];
  if (s.lastVerdict) lines.push(`last gate: ${s.lastVerdict.passed ? 'passed' : 'failed'}: ${s.lastVerdict.summary}`);
  for (const { taskType, favoured, baseline } of s.favoured) {
    lines.push(`  ${taskType.padEnd(14)} favours ${favoured.armId} (${f(favoured.mean)} ± ${f(favoured.sd)}), baseline ${baseline.armId} (${f(baseline.mean)} ± ${f(baseline.sd)})`);
  }
  for (const b of s.budget) {
    if (b.dayLimit === null && b.weekLimit === null) continue;
    lines.push(`  budget ${b.taskType}: ${b.daySpent} of ${b.dayLimit ?? '∞'} tokens today, ${b.weekSpent} of ${b.weekLimit ?? '∞'} this week`);
  }
  for (const w of s.waivers) lines.push(`  waiver ${w.id} (${w.status}): +${w.delta} tokens a ${w.period} for ${w.taskType} until ${new Date(w.expiresAt).toISOString()}`);
  for (const n of s.notices) lines.push(`${n.level}: ${n.message}`);
  return `${lines.join('\n')}\n`;
}
