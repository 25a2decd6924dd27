/**
 * Token budgets per task type per day and per week, with waivers (ARCHITECTURE.md §"Statistics", "Budgets").
 *
 * The effective limit of a period is the base limit plus the deltas of the waivers that are active
 * and unexpired at the decision's timestamp; a waiver past its expiry stops counting at once, even
 * before `expireWaivers` has marked it expired. `eligibility` runs before the policy draws and
 * restricts it to the arms the budget covers (so logged propensities stay exact); when none is
 * covered the request falls back to the cheapest allowed arm or is refused with a message (setting).
 * `guard` checks an arm already chosen (e.g. by a deterministic baseline) the same way. Every budget event and waiver change is
 * appended to the hash-chained audit log (audit.ts).
 *
 * Periods are calendar days and weeks (Monday first) in the user's time zone, given as a fixed
 * offset from UTC, because timestamps come from the injected clock and the core reads no time zone.
 */
import { z } from 'zod';
import type { AuditEntry, AuditLog, AuditValue } from './audit';
import { taskTypes } from '../types';
import type { TaskType } from '../types';
import { WaiverBook, type BudgetPeriod, type Waiver, type WaiverProposal } from './waivers';

export { budgetPeriods, waiverProposalSchema, waiverReasons, waiverStatuses } from './waivers';
export type { BudgetPeriod, Waiver, WaiverProposal, WaiverReason, WaiverStatus } from './waivers';

const limitsSchema = z.object({
  /** Tokens (in + out) per calendar day; null for no daily limit. */
  daily: z.number().int().positive().nullable(),
  /** Tokens per week; null for no weekly limit. */
  weekly: z.number().int().positive().nullable(),
});
export type BudgetLimits = z.infer<typeof limitsSchema>;

/** Budget settings. The defaults allow ~30 large planning requests a day per task type. */
export const budgetConfigSchema = z.object({
  /** Limits of task types not listed in `limits`. */
  defaultLimits: limitsSchema.prefault({ daily: 250_000, weekly: 1_000_000 }),
  limits: z.partialRecord(z.enum(taskTypes), limitsSchema).default({}),
  /** What happens when the budget cannot cover the chosen arm. */
  onExhausted: z.enum(['fallback', 'refuse']).default('fallback'),
  /** The user's offset from UTC in minutes, for calendar days and weeks. */
  utcOffsetMinutes: z.number().int().min(-14 * 60).max(14 * 60).default(0),
});
export type BudgetConfig = z.infer<typeof budgetConfigSchema>;
export type BudgetConfigInput = z.input<typeof budgetConfigSchema>;

/** One period's numbers for a task type. */
export interface PeriodStatus {
  period: BudgetPeriod;
  /** Day or week number since the epoch, in the user's time zone. */
  key: number;
  spent: number;
  /** null: unlimited. */
  base: number | null;
  effective: number | null;
  remaining: number;
  waivers: string[];
}

/** A task type's budget at a time. */
export interface BudgetStatus {
  taskType: TaskType;
  day: PeriodStatus;
  week: PeriodStatus;
  /** True when either period has nothing left. */
  exhausted: boolean;
  /** Remaining tokens: the smaller of the two periods. */
  remaining: number;
  /** Ids of the waivers that raise a limit right now. */
  appliedWaivers: string[];
}

/** What `guard` decides for one request. */
export interface BudgetGuardDecision {
  action: 'serve' | 'fallback' | 'refuse';
  /** The arm to serve (the proposed one, or the cheapest allowed one); -1 when refused. */
  armIndex: number;
  /** Why the proposed arm was not served, for the user. */
  message?: string;
  /** Waivers that applied to this decision (goes into `Decision.waivers`). */
  waivers: string[];
  status: BudgetStatus;
}

/** What `eligibility` decides for one request, before the policy draws. */
export interface BudgetEligibility {
  /** serve: draw among the eligible arms; fallback: only the cheapest allowed arm; refuse: do not send. */
  action: 'serve' | 'fallback' | 'refuse';
  eligibleCount: number;
  message?: string;
  /** Waivers that applied to this decision (goes into `Decision.waivers`). */
  waivers: string[];
  status: BudgetStatus;
}

/** Persisted spending of one task type in its current day and week. */
interface Spending {
  day: number;
  daySpent: number;
  week: number;
  weekSpent: number;
  exhaustedLogged: { day: number; week: number };
}

/** Persisted state of a tracker. */
export interface BudgetState {
  spending: Partial<Record<TaskType, Spending>>;
  waivers: Waiver[];
  /**
   * The restrictions audited today per task type (absent in states written before restrictions
   * were audited once per change).
   */
  restrictionsLogged?: Partial<Record<TaskType, RestrictionsLogged>>;
}

/** The restrictions of one task type already in the audit log for a day, by key. */
interface RestrictionsLogged {
  day: number;
  keys: string[];
}

/** Restriction entries, audited once per day and distinct restriction (see `auditRestriction`). */
const restrictionKinds = new Set(['budget.restricted', 'budget.fallback']);
/** More distinct restrictions than this in one day start the day's list afresh (they are then logged again). */
const maxRestrictionKeys = 256;

/** What makes two restrictions the same: the kind, the arms left out of which allowed, the waivers. */
function restrictionKey(kind: string, payload: { [key: string]: AuditValue }): string {
  return JSON.stringify([kind, payload.eligibleArms ?? null, payload.allowedArms ?? null, payload.armIndex ?? null, payload.waivers ?? null]);
}

const dayMs = 86_400_000;

/** The calendar day number of a timestamp in the user's time zone. */
export function dayKey(timestamp: number, utcOffsetMinutes: number): number {
  return Math.floor((timestamp + utcOffsetMinutes * 60_000) / dayMs);
}

/** The week number (weeks start on Monday; day 0, 1 January 1970, was a Thursday). */
export function weekKey(timestamp: number, utcOffsetMinutes: number): number {
  return Math.floor((dayKey(timestamp, utcOffsetMinutes) + 3) / 7);
}

/** The budget tracker. Pure: timestamps come in as arguments, events go to the given audit log. */
export class BudgetTracker {
  readonly config: BudgetConfig;
  private readonly spending: Partial<Record<TaskType, Spending>>;
  private readonly book: WaiverBook;
  private readonly restrictionsLogged: Partial<Record<TaskType, RestrictionsLogged>>;

  constructor(
    config: BudgetConfigInput,
    private readonly audit: AuditLog,
    state?: BudgetState,
  ) {
    this.config = budgetConfigSchema.parse(config);
    this.spending = structuredClone(state?.spending ?? {});
    this.book = new WaiverBook(audit, state?.waivers ?? []);
    this.restrictionsLogged = structuredClone(state?.restrictionsLogged ?? {});
  }

  get waivers(): readonly Waiver[] {
    return this.book.list;
  }

  toJSON(): BudgetState {
    return structuredClone({ spending: this.spending, waivers: [...this.book.list], restrictionsLogged: this.restrictionsLogged });
  }

  /**
   * Audits a restriction of the arms (`budget.restricted`, `budget.fallback`) the first time it
   * applies in a day, not on every request it applies to: each logged decision carries its own
   * mask and waivers, so the audit log records when a restriction began (and with which request),
   * and a user past the budget does not pay a durable write per request.
   */
  private auditRestriction(taskType: TaskType, now: number, kind: string, payload: { [key: string]: AuditValue }): void {
    const logged = this.restrictionsLogged[taskType];
    if (logged !== undefined && logged.day === dayKey(now, this.config.utcOffsetMinutes) && logged.keys.includes(restrictionKey(kind, payload))) return;
    this.noteAuditEntry(this.audit.append(now, kind, 'system', payload));
  }

  /**
   * Takes note of an audit entry, as appended or as replayed from a log, so that a tracker rebuilt
   * from the log knows the restrictions already audited today just as the live one does.
   */
  noteAuditEntry(entry: AuditEntry): void {
    if (!restrictionKinds.has(entry.kind)) return;
    const taskType = entry.payload.taskType as TaskType;
    const day = dayKey(entry.timestamp, this.config.utcOffsetMinutes);
    let logged = this.restrictionsLogged[taskType];
    if (logged === undefined || logged.day !== day || logged.keys.length >= maxRestrictionKeys) {
      logged = { day, keys: [] };
      this.restrictionsLogged[taskType] = logged;
    }
    const key = restrictionKey(entry.kind, entry.payload);
    if (!logged.keys.includes(key)) logged.keys.push(key);
  }

  private limitsOf(taskType: TaskType): BudgetLimits {
    return this.config.limits[taskType] ?? this.config.defaultLimits;
  }

  private spendingOf(taskType: TaskType, now: number): Spending {
    const day = dayKey(now, this.config.utcOffsetMinutes);
    const week = weekKey(now, this.config.utcOffsetMinutes);
    let s = this.spending[taskType];
    if (!s) {
      s = { day, daySpent: 0, week, weekSpent: 0, exhaustedLogged: { day: -1, week: -1 } };
      this.spending[taskType] = s;
    }
    if (s.day !== day) {
      s.day = day;
      s.daySpent = 0;
    }
    if (s.week !== week) {
      s.week = week;
      s.weekSpent = 0;
    }
    return s;
  }

  private periodStatus(taskType: TaskType, period: BudgetPeriod, s: Spending, now: number): PeriodStatus {
    const base = period === 'day' ? this.limitsOf(taskType).daily : this.limitsOf(taskType).weekly;
    const spent = period === 'day' ? s.daySpent : s.weekSpent;
    const applied = this.book.effective(taskType, period, now);
    const effective = base === null ? null : base + applied.reduce((sum, w) => sum + w.delta, 0);
    return {
      period,
      key: period === 'day' ? s.day : s.week,
      spent,
      base,
      effective,
      remaining: effective === null ? Infinity : Math.max(0, effective - spent),
      waivers: base === null ? [] : applied.map((w) => w.id),
    };
  }

  /**
   * What a task type has spent in the periods around `now`, without changing anything: a period
   * that has ended counts as nothing spent. (Reading the budget, for a request or for display, must
   * not change the state a log rebuilds.)
   */
  private currentSpending(taskType: TaskType, now: number): Spending {
    const day = dayKey(now, this.config.utcOffsetMinutes);
    const week = weekKey(now, this.config.utcOffsetMinutes);
    const s = this.spending[taskType];
    return {
      day,
      daySpent: s !== undefined && s.day === day ? s.daySpent : 0,
      week,
      weekSpent: s !== undefined && s.week === week ? s.weekSpent : 0,
      exhaustedLogged: s ? { ...s.exhaustedLogged } : { day: -1, week: -1 },
    };
  }

  /** The budget of a task type at `now`. */
  status(taskType: TaskType, now: number): BudgetStatus {
    const s = this.currentSpending(taskType, now);
    const day = this.periodStatus(taskType, 'day', s, now);
    const week = this.periodStatus(taskType, 'week', s, now);
    const remaining = Math.min(day.remaining, week.remaining);
    return {
      taskType,
      day,
      week,
      exhausted: remaining <= 0,
      remaining,
      appliedWaivers: [...new Set([...day.waivers, ...week.waivers])],
    };
  }

  /**
   * Decides whether the proposed arm can be served. `armCosts[i]` is the expected token cost of arm
   * i (e.g. prompt tokens + its max tokens); `allowedArms` lists the arms a fallback may use (default:
   * all). Serves the proposed arm when its cost fits the remaining budget; otherwise, with
   * `onExhausted: 'fallback'`, the cheapest allowed arm (a plan is still produced, the overshoot is at
   * most one cheap request); with `'refuse'`, the cheapest allowed arm if it still fits, else a refusal.
   */
  guard(
    taskType: TaskType,
    now: number,
    proposedArm: number,
    armCosts: ArrayLike<number>,
    allowedArms?: readonly number[],
    requestId?: string,
  ): BudgetGuardDecision {
    const status = this.status(taskType, now);
    const waivers = status.appliedWaivers;
    const proposedCost = armCosts[proposedArm];
    if (proposedCost === undefined || !Number.isFinite(proposedCost)) throw new RangeError(`no finite token cost for arm ${proposedArm}`);
    if (proposedCost <= status.remaining) return { action: 'serve', armIndex: proposedArm, waivers, status };

    let cheapest = -1;
    let cheapestCost = Infinity;
    const candidates = allowedArms ?? Array.from({ length: armCosts.length }, (_, i) => i);
    for (const i of candidates) {
      const c = armCosts[i];
      if (c !== undefined && Number.isFinite(c) && c < cheapestCost) {
        cheapest = i;
        cheapestCost = c;
      }
    }
    const limitText = describeLimit(status);
    const mode = this.config.onExhausted;
    const payload: { [key: string]: AuditValue } = {
      taskType,
      requestId: requestId ?? null,
      proposedArm,
      proposedCost,
      remaining: status.remaining,
      waivers,
    };
    if (cheapest >= 0 && (mode === 'fallback' || cheapestCost <= status.remaining)) {
      const message = `Token budget for ${taskType}: ${limitText}; using the cheapest allowed parameters (arm ${cheapest}, ~${cheapestCost} tokens) instead of arm ${proposedArm} (~${proposedCost} tokens).`;
      this.audit.append(now, 'budget.fallback', 'system', { ...payload, armIndex: cheapest, armCost: cheapestCost });
      return { action: 'fallback', armIndex: cheapest, message, waivers, status };
    }
    const message = `Token budget for ${taskType} exhausted: ${limitText}. The request was not sent. A waiver can raise the limit, or wait for the next ${status.day.remaining <= 0 ? 'day' : 'week'}.`;
    this.audit.append(now, 'budget.refused', 'system', payload);
    return { action: 'refuse', armIndex: -1, message, waivers, status };
  }

  /**
   * The arms a request may use under the budget, decided before the policy draws, so that the
   * logged propensities stay exact: the optimizer draws among `eligible` arms only, and a fallback is
   * a distribution too (all mass on the cheapest allowed arm, propensity 1). Arms whose cost fits the
   * remaining budget are eligible; when none fits, `onExhausted` decides: the cheapest allowed arm
   * alone ('fallback') or nothing ('refuse', with a message). Writes the mask into `eligible`
   * (1 = eligible). Audit entries only when the budget restricts or refuses. O(arms).
   */
  eligibility(
    taskType: TaskType,
    now: number,
    armCosts: ArrayLike<number>,
    eligible: Uint8Array,
    allowedArms?: ArrayLike<number>,
    requestId?: string,
  ): BudgetEligibility {
    const status = this.status(taskType, now);
    const waivers = status.appliedWaivers;
    eligible.fill(0);
    let allowedCount = 0;
    let fitting = 0;
    let cheapest = -1;
    let cheapestCost = Infinity;
    const consider = (i: number): void => {
      const c = armCosts[i];
      if (c === undefined || !Number.isFinite(c) || i < 0 || i >= eligible.length) return;
      allowedCount++;
      if (c < cheapestCost) {
        cheapest = i;
        cheapestCost = c;
      }
      if (c <= status.remaining) {
        eligible[i] = 1;
        fitting++;
      }
    };
    if (allowedArms) for (let j = 0; j < allowedArms.length; j++) consider(allowedArms[j] as number);
    else for (let i = 0; i < armCosts.length; i++) consider(i);

    const payload: { [key: string]: AuditValue } = { taskType, requestId: requestId ?? null, remaining: status.remaining, waivers };
    if (fitting > 0) {
      if (fitting < allowedCount) this.auditRestriction(taskType, now, 'budget.restricted', { ...payload, eligibleArms: fitting, allowedArms: allowedCount });
      return { action: 'serve', waivers, status, eligibleCount: fitting };
    }
    const limitText = describeLimit(status);
    if (this.config.onExhausted === 'fallback' && cheapest >= 0) {
      eligible[cheapest] = 1;
      this.auditRestriction(taskType, now, 'budget.fallback', { ...payload, armIndex: cheapest, armCost: cheapestCost });
      const message = `Token budget for ${taskType}: ${limitText}; using the cheapest allowed parameters (arm ${cheapest}, ~${cheapestCost} tokens).`;
      return { action: 'fallback', waivers, status, eligibleCount: 1, message };
    }
    this.audit.append(now, 'budget.refused', 'system', payload);
    const message = `Token budget for ${taskType} exhausted: ${limitText}. The request was not sent. A waiver can raise the limit, or wait for the next ${status.day.remaining <= 0 ? 'day' : 'week'}.`;
    return { action: 'refuse', waivers, status, eligibleCount: 0, message };
  }

  /** Records tokens used by a request; logs the spend, and the exhaustion of a period once per period. */
  recordUsage(taskType: TaskType, tokens: number, now: number, requestId: string): BudgetStatus {
    const { status, exhausted } = this.applyUsage(taskType, tokens, now);
    const s = this.spendingOf(taskType, now);
    this.audit.append(now, 'budget.spend', 'system', {
      taskType,
      requestId,
      tokens,
      daySpent: s.daySpent,
      weekSpent: s.weekSpent,
      waivers: status.appliedWaivers,
    });
    for (const p of exhausted) {
      this.audit.append(now, 'budget.exhausted', 'system', {
        taskType,
        period: p.period,
        periodKey: p.key,
        spent: p.spent,
        base: p.base,
        effective: p.effective,
        waivers: p.waivers,
      });
    }
    return status;
  }

  /**
   * The state change of `recordUsage` without its audit entries: restoring from a log replays the
   * usage here and the logged entries into the audit log. Returns the periods exhausted just now.
   */
  applyUsage(taskType: TaskType, tokens: number, now: number): { status: BudgetStatus; exhausted: PeriodStatus[] } {
    const s = this.spendingOf(taskType, now);
    s.daySpent += tokens;
    s.weekSpent += tokens;
    const status = this.status(taskType, now);
    const exhausted: PeriodStatus[] = [];
    for (const p of [status.day, status.week]) {
      const logged = p.period === 'day' ? s.exhaustedLogged.day : s.exhaustedLogged.week;
      if (p.effective !== null && p.remaining <= 0 && logged !== p.key) {
        if (p.period === 'day') s.exhaustedLogged.day = p.key;
        else s.exhaustedLogged.week = p.key;
        exhausted.push(p);
      }
    }
    return { status, exhausted };
  }

  /** Applies a waiver's logged state (restoring from a log): added, or replacing the one with its id. */
  applyWaiver(waiver: Waiver): void {
    this.book.apply(waiver);
  }

  /** Records a waiver request (status proposed); it raises nothing until activated. */
  proposeWaiver(proposal: WaiverProposal, requestedBy: string, now: number): Waiver {
    return this.book.propose(proposal, requestedBy, now);
  }

  /** Approves a proposed waiver; the approver is recorded. */
  activateWaiver(id: string, approver: string, now: number): Waiver {
    return this.book.activate(id, approver, now);
  }

  /** Withdraws a proposed or active waiver, with who and why. */
  revokeWaiver(id: string, actor: string, reason: string, now: number): Waiver {
    return this.book.revoke(id, actor, reason, now);
  }

  /** Marks every active or proposed waiver past its expiry as expired (and logs it); returns them. */
  expireWaivers(now: number): Waiver[] {
    return this.book.expire(now);
  }
}

function describeLimit(status: BudgetStatus): string {
  const parts: string[] = [];
  for (const p of [status.day, status.week]) {
    if (p.effective === null) continue;
    const waived = p.waivers.length > 0 ? ` incl. waivers ${p.waivers.join(', ')}` : '';
    parts.push(`${p.spent} of ${p.effective} tokens used this ${p.period}${waived}`);
  }
  return parts.join(', ');
}
