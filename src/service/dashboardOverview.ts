/**
 * The dashboard's overview and history, from the live guarded optimizer and the store: the rollout
 * with its progress and, in words, what happens next; the last verdict with its checks; the log's
 * counts; SLOs, budgets, waivers and drift; the phase changes, incidents and gate looks logged.
 * Every figure the core keeps as NaN or ±Infinity (no data, no limit) is sent as null.
 */
import type { GuardedOptimizer } from '../core/guardedOptimizer';
import { defaultMinEffectiveSampleSize } from '../core/guardedOptions';
import type { GateVerdict } from '../core/safety/gates';
import type { MeanBounds } from '../core/safety/confidenceSequence';
import { rolloutPhases, taskTypes, type RolloutPhase } from '../core/types';
import type { DashboardResult } from '../shared/dashboardProtocol';
import { historyEntrySchema } from '../shared/dashboardSchemas';
import type { HistoryRow } from '../store/dashboardReads';
import type { RestoreNotice } from './restore';

/** A number the protocol can carry: finite, else null. */
export const finiteOrNull = (x: number | null | undefined): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

const dayMs = 86_400_000;

/** What the overview reads from the store. */
export interface OverviewCounts {
  decisionCount(): number;
  rawDecisionCount(): number;
  outcomeCount(): number;
}

function bounds(b: MeanBounds): DashboardResult<'overview'>['slo'][number]['learned'] {
  return { n: Math.max(0, Math.round(finiteOrNull(b.n) ?? 0)), mean: finiteOrNull(b.mean), lower: finiteOrNull(b.lower), upper: finiteOrNull(b.upper) };
}

/** A verdict as the protocol carries it. */
export function verdictView(v: GateVerdict): NonNullable<DashboardResult<'overview'>['rollout']['lastVerdict']> {
  return {
    phase: v.phase,
    passed: v.passed,
    summary: v.summary.slice(0, 4000),
    checks: v.checks.slice(0, 20).map((c) => ({ name: c.name, passed: c.passed, value: finiteOrNull(c.value), threshold: finiteOrNull(c.threshold), detail: c.detail.slice(0, 2000) })),
  };
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;
const days = (x: number): string => (Math.abs(x - Math.round(x)) < 0.05 ? String(Math.round(x)) : x.toFixed(1));

/** Progress towards the next gate and what happens next, in words. */
export interface NextGate {
  phase: RolloutPhase;
  status: string;
  samples: number;
  minSamples: number;
  days: number;
  minDays: number;
  deadlineDays: number;
  autoPromote: boolean;
}

/**
 * E.g. "canary: 4 of 10 learned outcomes, 2 of 3 days; next gate in about 4 days". The time to the
 * gate is the longer of the days the phase still needs and the days the missing samples take at the
 * phase's rate so far; with no sample yet it is not guessed.
 */
export function nextGateText(p: NextGate): string {
  const unit = p.phase === 'shadow' ? 'outcomes' : 'learned outcomes';
  const progress = `${p.phase}: ${Math.min(p.samples, p.minSamples)} of ${p.minSamples} ${unit}, ${days(Math.min(p.days, p.minDays))} of ${days(p.minDays)} days`;
  if (p.phase === 'general') return 'general: the learned policy serves every request; there is no further gate';
  if (p.status === 'paused') return `${progress}; paused: no promotion until someone resumes`;
  if (p.status === 'rolledBack') return `${progress}; rolled back: holding until someone resumes`;
  if (p.status === 'promotable') return `${progress}; the evidence suffices: waiting for a manual promotion`;
  const late = p.status === 'inconclusive' ? ` (the ${days(p.deadlineDays)}-day deadline passed without enough evidence)` : '';
  const missingSamples = Math.max(0, p.minSamples - p.samples);
  const missingDays = Math.max(0, p.minDays - p.days);
  if (missingSamples === 0 && missingDays === 0) return `${progress}; the gate looks at the evidence at its next run (at most daily)${late}`;
  let sampleDays = 0;
  if (missingSamples > 0) {
    if (p.samples === 0 || p.days <= 0) return `${progress}; next gate once ${missingSamples} more ${missingSamples === 1 ? unit.replace(/s$/, '') : unit} ${missingSamples === 1 ? 'arrives' : 'arrive'}${late}`;
    sampleDays = missingSamples / (p.samples / p.days);
  }
  const wait = Math.max(missingDays, sampleDays);
  const when = wait < 1 ? 'within a day' : `in about ${plural(Math.round(wait), 'day')}`;
  return `${progress}; next gate ${when}${late}`;
}

/** The overview at `now`. */
export function dashboardOverview(g: GuardedOptimizer, store: OverviewCounts, now: number, notices: readonly RestoreNotice[]): DashboardResult<'overview'> {
  const rollout = g.rollout.toJSON();
  const config = g.rollout.config;
  const settings = config.phases[rollout.phase];
  const learned = g.optimizer.learned;
  const verdict = g.lastVerdict;
  const essCheck = verdict?.checks.find((c) => c.name === 'effectiveSampleSize');
  const progress = {
    samples: g.rollout.samplesInPhase,
    minSamples: settings.minSamples,
    days: Math.max(0, (now - rollout.phaseStartedAt) / dayMs),
    minDays: settings.minDurationDays,
    deadlineDays: settings.deadlineDays,
  };
  const drift = g.drift.report();
  const overview: DashboardResult<'overview'> = {
    at: now,
    policy: { kind: learned.kind, version: learned.version },
    rollout: {
      phase: rollout.phase,
      status: rollout.status,
      phaseStartedAt: rollout.phaseStartedAt,
      learnedShare: settings.trafficShare,
      progress,
      effectiveSampleSize: finiteOrNull(essCheck?.value),
      minEffectiveSampleSize: finiteOrNull(essCheck?.threshold ?? defaultMinEffectiveSampleSize[rollout.phase]),
      next: nextGateText({ ...progress, phase: rollout.phase, status: rollout.status, autoPromote: config.autoPromote }),
    },
    counts: { decisions: store.decisionCount(), rawDecisions: store.rawDecisionCount(), outcomes: store.outcomeCount(), pending: g.optimizer.pendingCount, incidents: rollout.incidents },
    slo: g.monitor.status().map((m) => ({ metric: m.metric, enabled: m.enabled, breached: m.breached, margin: finiteOrNull(m.margin), learned: bounds(m.learned), baseline: bounds(m.baseline) })),
    budgets: taskTypes.map((taskType) => {
      const s = g.budget.status(taskType, now);
      return {
        taskType,
        daySpent: s.day.spent,
        dayLimit: finiteOrNull(s.day.effective),
        weekSpent: s.week.spent,
        weekLimit: finiteOrNull(s.week.effective),
        remaining: finiteOrNull(s.remaining),
        exhausted: s.exhausted,
      };
    }),
    waivers: g.budget.waivers
      .filter((w) => w.status === 'active' || w.status === 'proposed')
      .slice(-100)
      .map((w) => ({
        id: w.id,
        status: w.status,
        taskType: w.taskType,
        period: w.period,
        delta: w.delta,
        reason: w.reason,
        note: w.note.slice(0, 2000),
        requestedBy: w.requestedBy,
        ...(w.approver !== undefined ? { approver: w.approver } : {}),
        expiresAt: w.expiresAt,
      })),
    drift: {
      warnings: drift.warnings.slice(0, 20).map((w) => w.slice(0, 4000)),
      pausePromotion: drift.pausePromotion,
      noiseLevel: finiteOrNull(drift.noiseLevel),
      features: drift.features.slice(0, 64).map((f) => ({ name: f.name, psi: finiteOrNull(f.psi), level: f.level })),
      ...(drift.rewardAlarm ? { rewardAlarm: { ...drift.rewardAlarm } } : {}),
    },
    notices: notices.slice(0, 50).map((n) => ({ level: n.level, message: n.message.slice(0, 4000) })),
  };
  if (verdict) overview.rollout.lastVerdict = verdictView(verdict);
  return overview;
}

const isPhase = (x: unknown): x is RolloutPhase => typeof x === 'string' && (rolloutPhases as readonly string[]).includes(x);
const field = (payload: unknown, key: string): unknown => (typeof payload === 'object' && payload !== null ? (payload as Record<string, unknown>)[key] : undefined);
const textOf = (x: unknown, max: number): string => (typeof x === 'string' ? x.slice(0, max) : '');

/**
 * A logged rollout event, incident or gate look as a history entry, from the core record its row
 * holds (storeRecords.ts); a row whose record does not have the expected shape is left out.
 */
export function historyEntry(row: HistoryRow): DashboardResult<'history'>['entries'][number] | undefined {
  const p = row.payload;
  let entry: unknown;
  if (row.table === 'rollout') {
    entry = {
      kind: 'rollout',
      seq: row.seq,
      timestamp: row.timestamp,
      event: textOf(field(p, 'kind'), 40),
      from: field(p, 'from'),
      to: field(p, 'to'),
      status: textOf(field(p, 'toStatus'), 40),
      actor: textOf(field(p, 'actor'), 200),
      reason: textOf(field(p, 'reason'), 4000),
    };
  } else if (row.table === 'incident') {
    const breach = field(p, 'breach');
    entry = { kind: 'incident', seq: row.seq, timestamp: row.timestamp, metric: textOf(field(breach, 'metric'), 40), from: field(p, 'fromPhase'), to: field(p, 'toPhase'), message: textOf(field(breach, 'message'), 4000) };
  } else {
    const verdict = field(p, 'verdict') as GateVerdict | undefined;
    const phase = field(p, 'phase');
    entry = {
      kind: 'gateLook',
      seq: row.seq,
      timestamp: row.timestamp,
      phase,
      look: textOf(field(p, 'kind'), 20),
      rows: field(p, 'rows'),
      ...(verdict !== undefined && isPhase(phase) && Array.isArray(verdict.checks) ? { verdict: verdictView(verdict) } : {}),
    };
  }
  const parsed = historyEntrySchema.safeParse(entry);
  return parsed.success ? parsed.data : undefined;
}
