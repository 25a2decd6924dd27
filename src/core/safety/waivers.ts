/**
 * Budget waivers: a temporary raise of a token budget, with a reason from a fixed list, an approver,
 * an expiry and a status (ARCHITECTURE.md §"Statistics", "Budgets"). The tracker that applies them is budget.ts.
 */
import { z } from 'zod';
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
