/**
 * The simulator's known reward landscape: where each task type's plans are best and how long they
 * are (`expectedQuality`, `expectedPlanTokens`), how a plan is drawn for an arm's parameters with
 * noise seeded per request, and how it is scored. No I/O: the HTTP server (simServer.ts) serves what
 * this draws, and tests compare what was learned with what is known here.
 */
import type { Rng } from '../../core/math/random';
import { taskTypes, type ArmParameters, type TaskType } from '../../core/types';

/** Where each task type's plans are best, and how long they are. */
export interface TaskLandscape {
  /** The temperature of the best plans. */
  bestTemperature: number;
  /** The token budget of the best plans: smaller ones cut plans short, larger ones let them ramble. */
  bestMaxTokens: number;
  /** Steps of a plan. */
  steps: number;
  /** Tokens of a plan at temperature 0 and the best budget. */
  baseTokens: number;
}

/** The known landscape: a test can check that a learner finds each task type's best arm. */
export const taskLandscapes: Readonly<Record<TaskType, TaskLandscape>> = {
  planTask: { bestTemperature: 0.3, bestMaxTokens: 1024, steps: 8, baseTokens: 520 },
  planSelection: { bestTemperature: 0.2, bestMaxTokens: 512, steps: 5, baseTokens: 260 },
  breakDownTodo: { bestTemperature: 0.6, bestMaxTokens: 384, steps: 5, baseTokens: 180 },
  planTests: { bestTemperature: 0.1, bestMaxTokens: 2048, steps: 12, baseTokens: 1000 },
};

/** What a server assumes for a parameter a request leaves out (Ollama's /v1 takes temperature and top_p as 1). */
export const simDefaults = { temperature: 1, topP: 1, maxTokens: 4096 } as const;

/**
 * The mean quality in [0, 1] of a plan for `taskType` under `params`: a smooth landscape,
 * 0.15 + 0.8 · exp(−(t − t*)² / (2 · 0.25²)) · exp(−log2(m / m*)² / (2 · 1.25²)) − 0.3 · (1 − topP)²,
 * where t* and m* are the task type's best temperature and budget (`taskLandscapes`).
 */
export function expectedQuality(taskType: TaskType, params: ArmParameters): number {
  const land = taskLandscapes[taskType];
  const t = params.temperature ?? simDefaults.temperature;
  const m = params.maxTokens ?? simDefaults.maxTokens;
  const p = params.topP ?? simDefaults.topP;
  const dt = (t - land.bestTemperature) / 0.25;
  const dm = Math.log2(m / land.bestMaxTokens) / 1.25;
  const q = 0.15 + 0.8 * Math.exp(-(dt * dt) / 2) * Math.exp(-(dm * dm) / 2) - 0.3 * (1 - p) ** 2;
  return Math.min(1, Math.max(0, q));
}

/**
 * The mean length in tokens of a full plan for `taskType` under `params` (a plan longer than
 * `maxTokens` is cut there): baseTokens · (1 + 0.5 t) · (m / m*)^0.25.
 */
export function expectedPlanTokens(taskType: TaskType, params: ArmParameters): number {
  const land = taskLandscapes[taskType];
  const t = params.temperature ?? simDefaults.temperature;
  const m = params.maxTokens ?? simDefaults.maxTokens;
  return land.baseTokens * (1 + 0.5 * t) * (m / land.bestMaxTokens) ** 0.25;
}

/** Tokens of a text as the sim server counts them: a token per 4 characters, rounded up. */
export function simTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/**
 * A plan's structure as the sim server writes it: its numbered steps, those that are concrete (name
 * a file in backticks), and the score = concrete / steps (0 for no steps).
 */
export function scorePlan(text: string): { steps: number; concreteSteps: number; score: number } {
  const steps = text.split('\n').filter((line) => /^\d+\. /.test(line));
  const concreteSteps = steps.filter((line) => /`[^`]+`/.test(line)).length;
  return { steps: steps.length, concreteSteps, score: steps.length === 0 ? 0 : concreteSteps / steps.length };
}

/** Finds the task type named in a prompt (`Task type: planTests`); planTask when none is. */
export function taskTypeOf(prompt: string): TaskType {
  const match = /Task type:\s*(\w+)/.exec(prompt);
  const named = match?.[1];
  return named !== undefined && (taskTypes as readonly string[]).includes(named) ? (named as TaskType) : 'planTask';
}

/** A drawn plan: its text (cut to the budget), whether it was cut, and the quality drawn for it. */
export interface SimPlan {
  text: string;
  truncated: boolean;
  quality: number;
  taskType: TaskType;
}

const verbs = ['Read', 'Update', 'Add', 'Extract', 'Rename', 'Test', 'Check', 'Document', 'Remove', 'Wire'];
const filler = 'so that the change stays small and each part can be checked on its own before the next one starts'.split(' ');

/**
 * Draws a plan for `taskType` under `params` with `rng`: quality ~ N(expectedQuality, 0.04²), the
 * share of concrete steps; length ~ expectedPlanTokens · (1 ± 10 %), cut at `maxTokens`.
 */
export function drawPlan(taskType: TaskType, params: ArmParameters, rng: Rng): SimPlan {
  const land = taskLandscapes[taskType];
  const quality = Math.min(1, Math.max(0, expectedQuality(taskType, params) + 0.04 * rng.normal()));
  const tokens = Math.max(land.steps * 6, Math.round(expectedPlanTokens(taskType, params) * (1 + 0.1 * (2 * rng.next() - 1))));
  const concrete = Math.round(quality * land.steps);
  const perStepChars = Math.floor((tokens * 4) / land.steps);
  const lines: string[] = [];
  for (let i = 1; i <= land.steps; i++) {
    const verb = verbs[(i - 1) % verbs.length]!;
    let line = i <= concrete ? `${i}. ${verb} \`src/part${i}.ts\`` : `${i}. ${verb} the relevant part`;
    for (let w = 0; line.length < perStepChars - 1; w++) line += ` ${filler[w % filler.length]}`;
    lines.push(`${line}.`);
  }
  const full = lines.join('\n');
  const maxTokens = params.maxTokens ?? simDefaults.maxTokens;
  const truncated = simTokens(full) > maxTokens;
  return { text: truncated ? full.slice(0, maxTokens * 4) : full, truncated, quality, taskType };
}
