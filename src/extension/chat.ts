import * as vscode from 'vscode';
import type { TaskType } from '../core/types';
import type { PlanCommandArgs, PlanningController } from './planning';

/**
 * The `@paramloop` chat participant: `/plan` (the selection, if any, as its context), `/tests` (the
 * active file), `/todo` (the TODO at the cursor), over the same planning code as the commands. The
 * plan streams into the chat response, with Accept, Reject and Rate buttons under it. With the
 * `vscode-lm` provider, the model picked in the chat (that vendor's) is the one asked.
 */
export function registerChatParticipant(planning: PlanningController, provider: () => string, log: vscode.LogOutputChannel): vscode.Disposable {
  const participant = vscode.chat.createChatParticipant('paramloop.planner', async (request, _context, response, token) => {
    const editor = vscode.window.activeTextEditor;
    const taskType: TaskType = request.command === 'tests' ? 'planTests' : request.command === 'todo' ? 'breakDownTodo' : editor && !editor.selection.isEmpty ? 'planSelection' : 'planTask';
    const prompt = request.prompt.trim();
    if (prompt === '' && (taskType === 'planTask' || taskType === 'planSelection')) {
      response.markdown('Say what to plan, e.g. `@paramloop /plan add a CSV export with a command`.');
      return {};
    }
    const args: PlanCommandArgs = { show: false, ...(prompt !== '' ? { task: prompt } : {}) };
    if (provider() === 'vscode-lm' && request.model) {
      args.model = request.model.id;
      args.vendor = request.model.vendor;
    }
    try {
      response.progress('Choosing parameters and asking for a plan…');
      const result = await planning.plan(taskType, args, (text) => response.markdown(text), token);
      if (!result) return {};
      if (result.error) {
        response.markdown(`\n\n**The plan failed** (${result.error.kind}): ${result.error.message}`);
        return { errorDetails: { message: result.error.message }, metadata: { requestId: result.requestId } };
      }
      response.markdown(`\n\n---\n_${result.servedBy === 'learned' ? 'Learned' : 'Baseline'} parameters (${result.phase}): ${Object.entries(result.params).map(([k, v]) => `${k} ${JSON.stringify(v)}`).join(', ')}_`);
      response.button({ command: 'paramloop.acceptPlan', title: 'Accept', arguments: [{ requestId: result.requestId }] });
      response.button({ command: 'paramloop.rejectPlan', title: 'Reject', arguments: [{ requestId: result.requestId }] });
      response.button({ command: 'paramloop.ratePlan', title: 'Rate…', arguments: [{ requestId: result.requestId }] });
      return { metadata: { requestId: result.requestId } };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      log.error(`@paramloop: ${message}`);
      response.markdown(`**Paramloop:** ${message}`);
      return { errorDetails: { message } };
    }
  });
  participant.iconPath = new vscode.ThemeIcon('checklist');
  return participant;
}
