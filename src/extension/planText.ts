// The text around a plan (its document's header and footer, its name), the TODO a Break Down TODO
// command plans on, and what a planning command returns: pure functions of the run, without VS Code.
import type { TaskType } from '../core/types';
import type { PlanRun } from '../planning/runPlan';
import { taskTypeGuides, type PlanSource, type PlanTask } from '../planning/task';

/** What a planning command returns: what was decided and sent, and what came back. */
export interface PlanCommandResult {
  requestId: string;
  armId: string;
  params: Record<string, unknown>;
  honoured: string[];
  dropped: string[];
  propensity: number;
  phase: string;
  servedBy: string;
  /** The request was confined to the baseline because the provider was failing. */
  baselineOnly: boolean;
  model: string;
  uri?: string;
  plan: string;
  quality: number;
  problems: string[];
  outcome: { latencyMs: number; timeToFirstTokenMs?: number; tokensIn: number; tokensOut: number; finishReason: string; error?: string };
  error?: { kind: string; message: string };
}

/** The TODO comment on the selection's first line and the comment lines that continue it. */
export function todoAt(source: PlanSource): string | undefined {
  const lines = source.text.split(/\r?\n/);
  const at = (source.selection?.startLine ?? 1) - 1;
  // `TODO: …`, `TODO(owner): …`, `FIXME …`, in the comment styles of most languages.
  const todo = /(?:\/\/|#|\/\*+|--|<!--|;|\*)\s*(?:TODO|FIXME|XXX)\b(?:\([^)]*\))?[:\s]*(.*?)\s*(?:\*\/|-->)?$/i;
  const m = todo.exec(lines[at] ?? '');
  if (!m) return undefined;
  const parts = [m[1]!];
  const continuation = /^\s*(?:\/\/|#|\*|--|;)\s*(?!TODO|FIXME)(.*?)\s*(?:\*\/)?$/i;
  for (let i = at + 1; i < lines.length && i < at + 20; i++) {
    const c = continuation.exec(lines[i] ?? '');
    if (!c || c[1] === '' || /^\s*(?:\/\/|#)\s*$/.test(lines[i] ?? '')) break;
    parts.push(c[1]!);
  }
  const text = parts.join(' ').trim();
  return text === '' ? undefined : text;
}

/** The command of a task type, e.g. `paramloop.planTests`. */
export const commandOf = (taskType: TaskType): string => `paramloop.${taskType}`;

/** A task type's title, as its command is called. */
export function titleOf(taskType: TaskType): string {
  return taskTypeGuides[taskType].title;
}

export function planName(task: PlanTask, n: number): string {
  const words = (task.text || task.source?.path || task.taskType)
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim()
    .split(' ')
    .slice(0, 6)
    .join('-');
  return `plan-${n}-${words || task.taskType}`;
}

export function planHeader(task: PlanTask, provider: string, model: string): string {
  const what = task.text.trim() !== '' ? task.text.trim().replace(/\s+/g, ' ') : (task.source?.path ?? '');
  const on = task.source ? ` · ${task.source.path}${task.source.selection ? `:${task.source.selection.startLine}–${task.source.selection.endLine}` : ''}` : '';
  return `# ${titleOf(task.taskType)}: ${what}\n\n_${provider} · ${model}${on}_\n\n`;
}

export function planFooter(run: PlanRun): string {
  const d = run.decision;
  const o = run.outcome;
  const lines = ['', '', '---', ''];
  if (run.error) lines.push(`**${run.error.kind === 'cancelled' ? 'Cancelled' : 'Failed'}:** ${run.error.message}`, '');
  const who = d.servedBy === 'learned' ? 'the learned policy' : run.baselineOnly ? 'the baseline (the provider was failing)' : 'the baseline';
  const params = Object.entries(d.params)
    .map(([k, v]) => `${k} ${JSON.stringify(v)}`)
    .join(', ');
  lines.push(`_Served by ${who} in ${d.phase} · ${params} · ${(o.latencyMs / 1000).toFixed(1)} s · ${o.tokensIn} + ${o.tokensOut} tokens_`);
  if (run.mapping.dropped.length > 0) lines.push('', `_Not sent or ignored by ${run.model}: ${run.mapping.dropped.join(', ')}_`);
  if (!run.error) lines.push('', run.report.problems.length === 0 ? '_Checks: all passed_' : `_Checks: ${run.report.problems.join('; ')}_`);
  return `${lines.join('\n')}\n`;
}

export function commandResult(run: PlanRun, uri: string | undefined): PlanCommandResult {
  const d = run.decision;
  const o = run.outcome;
  return {
    requestId: run.requestId,
    armId: d.armId,
    params: { ...d.params },
    honoured: [...run.mapping.honoured],
    dropped: [...run.mapping.dropped],
    propensity: d.propensity,
    phase: d.phase,
    servedBy: d.servedBy,
    baselineOnly: run.baselineOnly,
    model: run.model,
    ...(uri ? { uri } : {}),
    plan: run.text,
    quality: o.quality,
    problems: run.report.problems,
    outcome: {
      latencyMs: o.latencyMs,
      ...(o.timeToFirstTokenMs !== undefined ? { timeToFirstTokenMs: o.timeToFirstTokenMs } : {}),
      tokensIn: o.tokensIn,
      tokensOut: o.tokensOut,
      finishReason: o.finishReason,
      ...(o.error !== undefined ? { error: o.error } : {}),
    },
    ...(run.error ? { error: { kind: run.error.kind, message: run.error.message } } : {}),
  };
}
