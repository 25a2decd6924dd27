/**
 * The prompt of a planning request: a system text asking for a numbered, checkable plan, and a user
 * turn with the task and its code, the code capped so that the prompt fits the model's input window.
 * The first line of the user turn names the task type (`Task type: planTask`), so that a log of
 * prompts says what was asked, and a test server can answer by task type.
 */
import type { ChatMessage } from '../llm/provider';
import { taskTypeGuides, type PlanTask } from './task';

/** Tokens per character of prompt text, as a rough estimate (about 4 characters a token in English and code). */
export const charsPerToken = 4;

/** An estimate of the tokens of a text (providers' usage replaces it once known). */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / charsPerToken);
}

export interface PromptLimits {
  /** Tokens the code may take in the prompt (the model's input window minus room for the rest and the answer). */
  maxContextTokens: number;
}

export interface PlanPrompt {
  messages: ChatMessage[];
  /** Estimated tokens of all messages. */
  promptTokens: number;
  /** Lines of code left out to fit `maxContextTokens` (0 when all of it fits). */
  omittedLines: number;
}

/** The system text: what a good plan looks like, so that its structure can be checked. */
export function systemText(task: PlanTask): string {
  const guide = taskTypeGuides[task.taskType];
  return [
    `You write ${guide.ask}.`,
    `Answer with a numbered list only: one step per line, "1. ", "2. " and so on, between ${guide.minSteps} and ${guide.maxSteps} steps.`,
    'Each step is one concrete action that can be checked when it is done; name the files, functions or commands it touches.',
    'No introduction, no summary, no code blocks. Sub-points, if any, go on indented lines under their step.',
  ].join('\n');
}

/** Builds the messages of a planning request, the code capped to `limits.maxContextTokens`. */
export function buildPlanPrompt(task: PlanTask, limits: PromptLimits): PlanPrompt {
  const lines: string[] = [`Task type: ${task.taskType}`];
  if (task.source) lines.push(`Language: ${task.source.languageId}`);
  const text = task.text.trim();
  if (text !== '') lines.push(task.taskType === 'breakDownTodo' ? `TODO: ${text}` : `Task: ${text}`);
  let omittedLines = 0;
  if (task.source) {
    const { excerpt, omitted, label } = codeExcerpt(task, Math.max(0, limits.maxContextTokens) * charsPerToken);
    omittedLines = omitted;
    const fence = excerpt.includes('```') ? '~~~~' : '```';
    lines.push('', `${label}:`, `${fence}${task.source.languageId}`, excerpt, fence);
  }
  const messages: ChatMessage[] = [
    { role: 'system', content: systemText(task) },
    { role: 'user', content: lines.join('\n') },
  ];
  const promptTokens = messages.reduce((sum, m) => sum + estimateTokens(m.content), 0);
  return { messages, promptTokens, omittedLines };
}

/**
 * The code shown to the model, within `maxChars`: the selection first (with as many lines around it
 * as fit), else the file from its top; what is left out is said in place, with its line count.
 */
function codeExcerpt(task: PlanTask, maxChars: number): { excerpt: string; omitted: number; label: string } {
  const source = task.source!;
  const all = source.text.split(/\r?\n/);
  const sel = source.selection;
  const first = sel ? Math.min(sel.startLine, all.length) - 1 : 0;
  const last = sel ? Math.min(sel.endLine, all.length) - 1 : all.length - 1;
  const label = sel ? `${source.path}, lines ${first + 1}–${last + 1} selected` : `${source.path}`;
  let used = 0;
  const take = (i: number): boolean => {
    const cost = (all[i] ?? '').length + 1;
    if (used + cost > maxChars) return false;
    used += cost;
    return true;
  };
  // The selection (or the file from its top) first, line by line, then the lines around a selection, nearest first.
  let from = first;
  let to = first - 1;
  while (to < last && take(to + 1)) to++;
  if (sel && to === last) {
    let grew = true;
    while (grew) {
      grew = false;
      if (from > 0 && take(from - 1)) {
        from--;
        grew = true;
      }
      if (to < all.length - 1 && take(to + 1)) {
        to++;
        grew = true;
      }
    }
  }
  const out: string[] = [];
  if (from > 0) out.push(`… ${from} lines above left out …`);
  if (sel) {
    for (let i = from; i <= to; i++) {
      if (i === first) out.push('<<< selection starts');
      out.push(all[i] ?? '');
      if (i === last) out.push('>>> selection ends');
    }
  } else {
    for (let i = from; i <= to; i++) out.push(all[i] ?? '');
  }
  const below = all.length - 1 - to;
  if (sel && to < last) out.push(`… ${last - to} selected lines and ${all.length - 1 - last} lines below left out …`);
  else if (below > 0) out.push(`… ${below} lines below left out …`);
  return { excerpt: out.join('\n'), omitted: from + below, label };
}
