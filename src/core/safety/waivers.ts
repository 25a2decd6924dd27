/**
 * Budget waivers: a temporary raise of a token budget, with a reason from a fixed list, an approver,
 * an expiry and a status (ARCHITECTURE.md §"Statistics", "Budgets"). The tracker that applies them is budget.ts.
 */
import { z } from 'zod';
import type { AuditLog, AuditValue } from './audit';
import { taskTypes } from '../types';
import type { TaskType } from '../types';

/** Why a waiver was granted; a fixed list so reports can group them. */
export const waiverReasons = [
  'emergency_hotfix',
  'experimental_feature',
  'performance_critical',
  'deadline_delivery',
  'incident_investigation',
  'evaluation_run',
  'large_refactor',
] as const;
export type WaiverReason = (typeof waiverReasons)[number];

export const waiverStatuses = ['proposed', 'active', 'expired', 'revoked'] as const;
export type WaiverStatus = (typeof waiverStatuses)[number];

export const budgetPeriods = ['day', 'week'] as const;
export type BudgetPeriod = (typeof budgetPeriods)[number];

/** A temporary raise of a budget. */
export interface Waiver {
  id: string;
  /** The task type it raises, or every task type. */
  taskType: TaskType | 'all';
  period: BudgetPeriod;
  /** Extra tokens per period while active. */
  delta: number;
  reason: WaiverReason;
  note: string;
  requestedBy: string;
  approver?: string;
  createdAt: number;
  activatedAt?: number;
  expiresAt: number;
  status: WaiverStatus;
  /** Who revoked it and why (when revoked). */
  revokedBy?: string;
  revokeReason?: string;
}

/** Input of `proposeWaiver`, validated. */
export const waiverProposalSchema = z.object({
  id: z.string().min(1),
  taskType: z.union([z.enum(taskTypes), z.literal('all')]),
  period: z.enum(budgetPeriods),
  delta: z.number().int().positive(),
  reason: z.enum(waiverReasons),
  note: z.string().default(''),
  expiresAt: z.number().int(),
});
export type WaiverProposal = z.input<typeof waiverProposalSchema>;

/** The waivers of a budget and their lifecycle, each change audited. */
export class WaiverBook {
  private readonly waivers: Waiver[];

  constructor(
    private readonly audit: AuditLog,
    waivers: readonly Waiver[],
  ) {
    this.waivers = structuredClone([...waivers]);
  }

  get list(): readonly Waiver[] {
    return this.waivers;
  }

  /** Waivers raising `period` of `taskType` at `now`: active and not yet expired. */
  effective(taskType: TaskType, period: BudgetPeriod, now: number): Waiver[] {
    return this.waivers.filter((w) => w.status === 'active' && now < w.expiresAt && w.period === period && (w.taskType === 'all' || w.taskType === taskType));
  }

  /** Applies a waiver's logged state (restoring from a log): added, or replacing the one with its id. */
  apply(waiver: Waiver): void {
    const i = this.waivers.findIndex((w) => w.id === waiver.id);
    if (i >= 0) this.waivers[i] = structuredClone(waiver);
    else this.waivers.push(structuredClone(waiver));
  }

  /** Records a waiver request (status proposed); it raises nothing until activated. */
  propose(proposal: WaiverProposal, requestedBy: string, now: number): Waiver {
    const p = waiverProposalSchema.parse(proposal);
    if (this.waivers.some((w) => w.id === p.id)) throw new Error(`waiver ${p.id} already exists`);
    if (p.expiresAt <= now) throw new Error(`waiver ${p.id} would expire before it starts`);
    const waiver: Waiver = { ...p, requestedBy, createdAt: now, status: 'proposed' };
    this.waivers.push(waiver);
    this.audit.append(now, 'waiver.proposed', requestedBy, waiverPayload(waiver));
    return waiver;
  }

  /** Approves a proposed waiver; the approver is recorded. */
  activate(id: string, approver: string, now: number): Waiver {
    const w = this.find(id);
    if (w.status !== 'proposed') throw new Error(`waiver ${id} is ${w.status}, only a proposed waiver can be activated`);
    if (now >= w.expiresAt) throw new Error(`waiver ${id} has already expired`);
    w.status = 'active';
    w.approver = approver;
    w.activatedAt = now;
    this.audit.append(now, 'waiver.activated', approver, waiverPayload(w));
    return w;
  }

  /** Withdraws a proposed or active waiver, with who and why. */
  revoke(id: string, actor: string, reason: string, now: number): Waiver {
    const w = this.find(id);
    if (w.status !== 'proposed' && w.status !== 'active') throw new Error(`waiver ${id} is ${w.status}, it cannot be revoked`);
    w.status = 'revoked';
    w.revokedBy = actor;
    w.revokeReason = reason;
    this.audit.append(now, 'waiver.revoked', actor, waiverPayload(w));
    return w;
  }

  /** Marks every active or proposed waiver past its expiry as expired (and logs it); returns them. */
  expire(now: number): Waiver[] {
    const expired: Waiver[] = [];
    for (const w of this.waivers) {
      if ((w.status === 'active' || w.status === 'proposed') && now >= w.expiresAt) {
        w.status = 'expired';
        this.audit.append(now, 'waiver.expired', 'system', waiverPayload(w));
        expired.push(w);
      }
    }
    return expired;
  }

  private find(id: string): Waiver {
    const w = this.waivers.find((x) => x.id === id);
    if (!w) throw new Error(`no waiver ${id}`);
    return w;
  }
}

function waiverPayload(w: Waiver): { [key: string]: AuditValue } {
  const out: { [key: string]: AuditValue } = {};
  for (const [k, v] of Object.entries(w)) if (v !== undefined) out[k] = v as AuditValue;
  return out;
}
