/**
 * What a planning command asks for (ARCHITECTURE.md §"Planning"): the task type, the user's text,
 * and the code it is about. Built by the extension from the editor, or by the CLI from its options.
 */
import { taskTypes, type TaskType } from '../core/types';

export { taskTypes, type TaskType };

/** The code a request is about: a file, possibly with a selection in it. */
export interface PlanSource {
  /** A path or name to show the model (relative to the workspace where there is one). */
  path: string;
  languageId: string;
  text: string;
  /** 1-based, inclusive; absent when the whole file is the context. */
  selection?: { startLine: number; endLine: number };
}

/** One planning request as a command or the CLI states it. */
export interface PlanTask {
  taskType: TaskType;
  /** The task in the user's words (for `breakDownTodo`, the TODO comment; for `planTests`, optional extra instructions). */
  text: string;
  source?: PlanSource;
  workspaceKind?: 'none' | 'folder' | 'multiRoot';
}

/** What each task type asks the model for, and how long a plan of it should be. */
export const taskTypeGuides: Record<TaskType, { title: string; ask: string; minSteps: number; maxSteps: number }> = {
  planTask: { title: 'Plan Task', ask: 'a plan for the task below', minSteps: 3, maxSteps: 20 },
  planSelection: { title: 'Plan Selection', ask: 'a plan for changing the selected code as the task below says', minSteps: 2, maxSteps: 15 },
  breakDownTodo: { title: 'Break Down TODO', ask: 'a breakdown of the TODO below into steps small enough to do one at a time', minSteps: 2, maxSteps: 12 },
  planTests: { title: 'Plan Tests for File', ask: 'a plan of the tests the file below needs: one step per test or group of tests, each naming the behaviour it checks', minSteps: 3, maxSteps: 25 },
};

/** Whether a string names a task type. */
export function isTaskType(value: unknown): value is TaskType {
  return typeof value === 'string' && (taskTypes as readonly string[]).includes(value);
}

/** Problems with a task as given (empty when it can be planned), naming the field. */
export function taskProblems(task: PlanTask): string[] {
  const problems: string[] = [];
  if (!isTaskType(task.taskType)) problems.push(`taskType: "${String(task.taskType)}" is not one of ${taskTypes.join(', ')}`);
  const needsText = task.taskType !== 'planTests';
  if (typeof task.text !== 'string' || (needsText && task.text.trim() === '')) problems.push('text: the task is empty');
  if ((task.taskType === 'planSelection' || task.taskType === 'planTests') && !task.source) problems.push(`source: ${task.taskType} needs the code it is about`);
  if (task.taskType === 'planSelection' && task.source && !task.source.selection) problems.push('source.selection: planSelection needs a selection');
  const sel = task.source?.selection;
  if (sel && (!Number.isInteger(sel.startLine) || !Number.isInteger(sel.endLine) || sel.startLine < 1 || sel.endLine < sel.startLine)) {
    problems.push(`source.selection: lines ${sel.startLine}–${sel.endLine} are not a range of lines`);
  }
  return problems;
}
