// `paramloop status --db DIR [--json]`: what the learner in a decision log knows, restored from the
// log read-only (nothing in DIR is written; it may be open in VS Code at the same time): the rollout
// phase and its progress towards the next gate, the log's counts, the arm the learned policy favours
// for each task type next to the baseline's, the gate's last verdict, today's budget use, the
// waivers that stand, and anything restoring found.
import { parsePolicySettings, policyKinds, type PolicyKind, type PolicySettings } from '../../core/policies';
import { parseRewardSettings } from '../../core/reward';
import { buildSpace } from '../../core/space';
import { OptimizerService } from '../../service/optimizerService';
import type { ServiceStatus } from '../../service/status';
import { checkpointOf } from '../../service/storeRecords';
import { defaultWasmDir } from '../../store/sqlite';
import { openStore } from '../../store/store';
import { parseCommandArgs } from '../args';
import { CliError, type CliCommand } from '../io';
import { readJsonFile } from '../jsonFile';

const help = `usage: paramloop status --db DIR [--space FILE] [--settings FILE] [--json]

Restores the learner from the decision log in DIR (read-only: VS Code may have it open) and prints
its rollout phase and progress, the log's counts, the arm favoured per task type (posterior mean and
sd of its reward, next to the baseline arm's), the gate's last verdict, today's budget use and the
active waivers.
  --space FILE     the parameter space the log was written with (default: the default space)
  --settings FILE  policy settings (default: the defaults); the policy kind is the log's own
  --json           one JSON object on stdout`;

export const statusCommand: CliCommand = {
  summary: "show the learner's state in a decision log: phase, progress, favoured arms, budget",
  async run(args, io) {
    const { values } = parseCommandArgs(args, {
      db: { type: 'string' },
      space: { type: 'string' },
      settings: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    });
    if (values.help) {
      io.stdout(`${help}\n`);
      return 0;
    }
    if (values.db === undefined) throw new CliError('--db DIR is required');
    const wasmDir = defaultWasmDir(__dirname);
    let space;
    let policySettings: PolicySettings;
    try {
      space = buildSpace(values.space !== undefined ? await readJsonFile(values.space, '--space') : {});
      policySettings = parsePolicySettings(values.settings !== undefined ? await readJsonFile(values.settings, '--settings') : {});
    } catch (error) {
      if (error instanceof CliError) throw error;
      throw new CliError(error instanceof Error ? error.message : String(error));
    }
    const policyKind = await logPolicyKind(values.db, wasmDir);
    const service = await OptimizerService.open(
      values.db,
      { space, policyKind, policySettings, rewardSettings: parseRewardSettings({}) },
      { clock: { now: () => Date.now() }, store: { wasmDir, readOnly: true } },
    );
    let status: ServiceStatus;
    try {
      status = service.status();
    } finally {
      await service.close();
    }
    io.stdout(values.json ? `${JSON.stringify(status)}\n` : describe(values.db, status));
    return 0;
  },
};

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

/** The status in words. */
function describe(db: string, s: ServiceStatus): string {
  const p = s.progress;
  const lines = [
    `decision log ${db}: ${s.decisions} decisions, ${s.outcomes} outcomes, ${s.pending} waiting for an outcome`,
    `learner: ${s.policyKind}, learned from ${s.policyVersion} outcomes`,
    `rollout: ${s.phase} (${s.rolloutStatus}); ${p.samples} of ${p.minSamples} samples, ${f(p.days, 1)} of ${p.minDays} days (deadline ${p.deadlineDays})${s.incidents > 0 ? `; ${s.incidents} incidents` : ''}`,
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
