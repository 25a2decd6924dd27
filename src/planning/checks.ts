/**
 * Structural checks of a plan (ARCHITECTURE.md §"Planning"): the plan is parsed into numbered steps
 * and checked for what a usable plan has: numbered steps, in order, as many as the task type asks
 * for, not cut off by the token limit, no empty or repeated steps. The checks' score is the quality
 * of the outcome until the user's verdict says otherwise (core/reward.ts `qualityWithVerdict`).
 */
import type { FinishReason } from '../core/types';
import { taskTypeGuides, type TaskType } from './task';

/** One step of a plan: its number as written, its text, and any indented lines under it. */
export interface PlanStep {
  number: number;
  text: string;
  detail: string[];
  /** 0-based line of the plan text the step starts on. */
  line: number;
}

/** Numbered lines: `1. text`, `1) text`, optionally in Markdown emphasis (`**1.** text`). */
const stepLine = /^\s{0,3}(?:\*\*)?(\d{1,3})[.)](?:\*\*)?\s+(.*)$/;
const emptyStepLine = /^\s{0,3}(?:\*\*)?(\d{1,3})[.)](?:\*\*)?\s*$/;

/** The numbered steps of a plan, in the order written. */
export function parsePlan(text: string): PlanStep[] {
  const steps: PlanStep[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const m = stepLine.exec(line) ?? emptyStepLine.exec(line);
    if (m) {
      steps.push({ number: Number(m[1]), text: (m[2] ?? '').trim(), detail: [], line: i });
    } else if (steps.length > 0 && line.trim() !== '' && /^\s+/.test(line)) {
      steps[steps.length - 1]!.detail.push(line.trim());
    }
  }
  return steps;
}

/** The outcome of each check: passed (1), failed (0), or a share for the counting checks. */
export interface PlanChecks {
  /** At least the task type's minimum of numbered steps. */
  numberedSteps: number;
  /** Numbered 1, 2, 3… without gaps or repeats. */
  inOrder: number;
  /** Not cut off: the model stopped by itself (not at the token limit), and the last step is whole. */
  notTruncated: number;
  /** No more steps than the task type allows. */
  withinLength: number;
  /** Share of steps with at least three words. */
  nonEmptySteps: number;
  /** Share of steps not repeating an earlier one. */
  distinctSteps: number;
  /**
   * Share of steps that name what they touch, as the prompt asks: code in backticks, a file path, or
   * a call such as `parse()`.
   */
  concreteSteps: number;
}

/** How much each check weighs in the quality (sums to 1). */
export const checkWeights: Readonly<Record<keyof PlanChecks, number>> = {
  numberedSteps: 0.15,
  inOrder: 0.05,
  notTruncated: 0.2,
  withinLength: 0.05,
  nonEmptySteps: 0.1,
  distinctSteps: 0.1,
  concreteSteps: 0.35,
};

/** Code in backticks, a path with a file extension, or a call: what makes a step checkable. */
const concrete = /`[^`\n]+`|(?:^|[\s(])[\w.-]*[\w-]\/[\w./-]+|\b[\w-]+\.(?:ts|tsx|js|jsx|mjs|cjs|py|rs|go|java|rb|cs|cpp|c|h|json|md|yml|yaml|toml|sql|sh|css|html)\b|\b[A-Za-z_$][\w$]*\(\)/;

export interface PlanReport {
  steps: PlanStep[];
  checks: PlanChecks;
  /** The weighted checks, in [0, 1]. */
  quality: number;
  /** The checks that did not pass in full, in words, for the user. */
  problems: string[];
}

const normalise = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim();

/** Checks a plan written for `taskType` that ended with `finishReason`. */
export function checkPlan(text: string, taskType: TaskType, finishReason: FinishReason): PlanReport {
  const guide = taskTypeGuides[taskType];
  const steps = parsePlan(text);
  const n = steps.length;
  const words = (s: PlanStep): number => s.text.split(/\s+/).filter((w) => /[\p{L}\p{N}]/u.test(w)).length;
  const seen = new Set<string>();
  let distinct = 0;
  for (const s of steps) {
    const key = normalise(s.text);
    if (key !== '' && !seen.has(key)) distinct++;
    seen.add(key);
  }
  const lastStep = steps[n - 1];
  const lastWhole = lastStep !== undefined && words(lastStep) >= 3;
  const checks: PlanChecks = {
    numberedSteps: n >= guide.minSteps ? 1 : 0,
    inOrder: n > 0 && steps.every((s, i) => s.number === i + 1) ? 1 : 0,
    notTruncated: finishReason === 'stop' && lastWhole ? 1 : 0,
    withinLength: n > 0 && n <= guide.maxSteps ? 1 : 0,
    nonEmptySteps: n === 0 ? 0 : steps.filter((s) => words(s) >= 3).length / n,
    distinctSteps: n === 0 ? 0 : distinct / n,
    concreteSteps: n === 0 ? 0 : steps.filter((s) => concrete.test(s.text) || s.detail.some((d) => concrete.test(d))).length / n,
  };
  let quality = 0;
  for (const name of Object.keys(checkWeights) as Array<keyof PlanChecks>) quality += checkWeights[name] * checks[name];
  quality = Math.min(1, Math.max(0, quality));
  const problems: string[] = [];
  if (!checks.numberedSteps) problems.push(n === 0 ? 'no numbered steps' : `${n} numbered step${n === 1 ? '' : 's'}, fewer than ${guide.minSteps}`);
  if (n > 0 && !checks.inOrder) problems.push('steps not numbered 1, 2, 3… in order');
  if (!checks.notTruncated) problems.push(finishReason === 'length' ? 'cut off at the token limit' : finishReason === 'stop' ? 'the last step is cut short' : `ended with ${finishReason}`);
  if (n > guide.maxSteps) problems.push(`${n} steps, more than ${guide.maxSteps}`);
  if (n > 0 && checks.nonEmptySteps < 1) problems.push(`${Math.round((1 - checks.nonEmptySteps) * n)} empty or one-word step(s)`);
  if (n > 0 && checks.distinctSteps < 1) problems.push(`${n - distinct} repeated step(s)`);
  if (n > 0 && checks.concreteSteps < 1) problems.push(`${Math.round((1 - checks.concreteSteps) * n)} step(s) naming no file, function or command`);
  return { steps, checks, quality, problems };
}
