import * as vscode from 'vscode';
import { userInfo } from 'node:os';
import type { TaskType } from '../core/types';
import type { LlmError, ProviderId } from '../llm/provider';
import type { ServiceConnection } from '../service/session';
import type { DisposableStore } from './disposable';
import type { PlanCommandArgs, PlanningController } from './planning';
import { secretKey } from './providers';

/** Who acts, for the audit trail: the OS user of this window. */
export function actorName(): string {
  try {
    return userInfo().username || 'user';
  } catch {
    return 'user';
  }
}

const planCommands: Array<[string, TaskType]> = [
  ['paramloop.planTask', 'planTask'],
  ['paramloop.planSelection', 'planSelection'],
  ['paramloop.breakDownTodo', 'breakDownTodo'],
  ['paramloop.planTests', 'planTests'],
];

/** A verdict command's argument: the plan's request id (default: the active plan, else the latest). */
interface VerdictArgs {
  requestId?: string;
  rating?: number;
}

export interface CommandDeps {
  planning: PlanningController;
  log: vscode.LogOutputChannel;
  secrets: vscode.SecretStorage;
  connection(): Promise<ServiceConnection | undefined>;
  /** After a control changed the learner: refresh what the window shows. */
  changed(): void;
  /** The providers are to be rebuilt (a key was set or cleared). */
  keysChanged(): void;
}

/** Registers the planning, verdict and control commands. */
export function registerCommands(root: DisposableStore, deps: CommandDeps): void {
  const register = (id: string, run: (...args: unknown[]) => unknown): void => {
    root.register(vscode.commands.registerCommand(id, run));
  };

  for (const [id, taskType] of planCommands) {
    register(id, async (arg?: unknown) => {
      const args = (arg !== null && typeof arg === 'object' && !(arg instanceof vscode.Uri) ? arg : {}) as PlanCommandArgs;
      if (arg instanceof vscode.Uri) args.file = arg.toString();
      try {
        return await deps.planning.plan(taskType, args);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        deps.log.error(`${id}: ${message}`);
        void vscode.window.showErrorMessage(`Paramloop: ${message}`);
        return undefined;
      }
    });
  }

  const verdictArgs = (arg: unknown): VerdictArgs => (arg !== null && typeof arg === 'object' ? (arg as VerdictArgs) : typeof arg === 'string' ? { requestId: arg } : {});
  register('paramloop.acceptPlan', (arg?: unknown) => deps.planning.verdict(verdictArgs(arg).requestId, 'accept'));
  register('paramloop.rejectPlan', (arg?: unknown) => deps.planning.verdict(verdictArgs(arg).requestId, 'reject'));
  register('paramloop.ratePlan', async (arg?: unknown) => {
    const given = verdictArgs(arg);
    let rating = given.rating;
    if (rating === undefined) {
      const pick = await vscode.window.showQuickPick(
        ['5 — use it as it is', '4 — good, small changes', '3 — usable with changes', '2 — mostly wrong', '1 — useless'].map((label) => ({ label, rating: Number(label[0]) })),
        { title: 'Paramloop: Rate this plan', placeHolder: 'How good is the plan?' },
      );
      if (!pick) return undefined;
      rating = pick.rating;
    }
    if (!Number.isInteger(rating) || rating < 1 || rating > 5) {
      void vscode.window.showErrorMessage(`Paramloop: a rating is a whole number from 1 to 5, not ${String(rating)}`);
      return undefined;
    }
    return deps.planning.verdict(given.requestId, undefined, rating);
  });

  register('paramloop.setApiKey', async (arg?: unknown) => {
    const given = (arg ?? {}) as { provider?: ProviderId; key?: string };
    const provider =
      given.provider ??
      (
        await vscode.window.showQuickPick(
          [
            { label: 'openai-compatible', description: 'OpenAI, or a server that asks for a key' },
            { label: 'anthropic', description: "Anthropic's Messages API" },
          ],
          { title: 'Paramloop: Set API Key for…' },
        )
      )?.label;
    if (provider !== 'openai-compatible' && provider !== 'anthropic') return;
    const key = given.key ?? (await vscode.window.showInputBox({ title: `Paramloop: API key for ${provider}`, password: true, ignoreFocusOut: true, prompt: 'Kept in VS Code\'s secret storage only: never in settings, logs or exports.' }));
    if (!key) return;
    await deps.secrets.store(secretKey(provider), key.trim());
    deps.keysChanged();
    void vscode.window.showInformationMessage(`Paramloop: the API key for ${provider} is stored in VS Code's secret storage.`);
  });
  register('paramloop.clearApiKey', async (arg?: unknown) => {
    const given = (arg ?? {}) as { provider?: ProviderId };
    const provider = given.provider ?? (await vscode.window.showQuickPick(['openai-compatible', 'anthropic'], { title: 'Paramloop: Clear API Key for…' }));
    if (provider !== 'openai-compatible' && provider !== 'anthropic') return;
    await deps.secrets.delete(secretKey(provider));
    deps.keysChanged();
    void vscode.window.showInformationMessage(`Paramloop: the API key for ${provider} is removed.`);
  });
  register('paramloop.chooseProvider', async () => {
    const config = vscode.workspace.getConfiguration('paramloop');
    const pick = await vscode.window.showQuickPick(
      [
        { label: 'openai-compatible', description: 'Ollama, LM Studio, vLLM, llama.cpp, OpenAI' },
        { label: 'anthropic', description: "Anthropic's Messages API (API key)" },
        { label: 'vscode-lm', description: "VS Code's language models (e.g. Copilot's)" },
      ],
      { title: 'Paramloop: Choose Provider', placeHolder: `now: ${config.get<string>('provider')}` },
    );
    if (!pick) return;
    let suggestions: string[] = [];
    if (pick.label === 'vscode-lm') suggestions = (await vscode.lm.selectChatModels()).map((m) => m.id);
    const model = await vscode.window.showInputBox({
      title: `Paramloop: Model for ${pick.label}`,
      value: config.get<string>('model'),
      prompt: suggestions.length > 0 ? `Available: ${suggestions.slice(0, 10).join(', ')}` : 'e.g. llama3.2 (Ollama), gpt-4o-mini, claude-sonnet-4-5',
      ignoreFocusOut: true,
    });
    if (model === undefined) return;
    await config.update('provider', pick.label, vscode.ConfigurationTarget.Global);
    if (model.trim() !== '') await config.update('model', model.trim(), vscode.ConfigurationTarget.Global);
    if (pick.label === 'anthropic' && !(await deps.secrets.get(secretKey('anthropic')))) await vscode.commands.executeCommand('paramloop.setApiKey', { provider: 'anthropic' });
  });

  const control = (id: string, title: string, act: (c: ServiceConnection, actor: string, reason: string) => Promise<unknown>): void =>
    register(id, async (arg?: unknown) => {
      const given = (arg ?? {}) as { reason?: string };
      const connection = await deps.connection();
      if (!connection) {
        void vscode.window.showErrorMessage('Paramloop: the learner is unavailable (see the Paramloop log).');
        return undefined;
      }
      const reason = given.reason ?? (await vscode.window.showInputBox({ title: `Paramloop: ${title}`, prompt: 'Why? (kept in the audit log)', ignoreFocusOut: true }));
      if (reason === undefined) return undefined;
      try {
        const result = await act(connection, actorName(), reason);
        deps.changed();
        void vscode.window.showInformationMessage(`Paramloop: ${title} done.`);
        return result;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        void vscode.window.showErrorMessage(`Paramloop: ${title} refused: ${message}`);
        return undefined;
      }
    });
  control('paramloop.promote', 'Promote the learned policy', (c, actor, reason) => c.promote(actor, reason));
  control('paramloop.rollback', 'Roll back', (c, actor, reason) => c.rollback(actor, reason));
  control('paramloop.pause', 'Pause the rollout', (c, actor, reason) => c.pause(actor, reason));
  control('paramloop.resume', 'Resume the rollout', (c, actor, reason) => c.resume(actor, reason));
  register('paramloop.resetPolicy', async (arg?: unknown) => {
    const given = (arg ?? {}) as { reason?: string; confirmed?: boolean };
    const connection = await deps.connection();
    if (!connection) {
      void vscode.window.showErrorMessage('Paramloop: the learner is unavailable (see the Paramloop log).');
      return undefined;
    }
    if (given.confirmed !== true) {
      const status = await connection.status();
      const choice = await vscode.window.showWarningMessage(
        `Reset the learned policy? It forgets what it learned from ${status.policyVersion} outcomes and goes back to shadow (your baseline serves every request). The decision log is kept.`,
        { modal: true },
        'Reset',
      );
      if (choice !== 'Reset') return undefined;
    }
    const reason = given.reason ?? (await vscode.window.showInputBox({ title: 'Paramloop: Reset the learned policy', prompt: 'Why? (kept in the audit log)', ignoreFocusOut: true }));
    if (reason === undefined) return undefined;
    try {
      const reset = await connection.resetPolicy(actorName(), reason);
      deps.changed();
      void vscode.window.showInformationMessage(`Paramloop: the learned policy starts over${reset.event ? ', back in shadow' : ''}.`);
      return reset;
    } catch (error) {
      void vscode.window.showErrorMessage(`Paramloop: the reset was refused: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
  });

  register('paramloop.grantWaiver', async (arg?: unknown) => {
    const given = (arg ?? {}) as { taskType?: TaskType | 'all'; tokens?: number; hours?: number; reason?: string; note?: string; period?: 'day' | 'week' };
    const connection = await deps.connection();
    if (!connection) return undefined;
    const reasons = ['emergency_hotfix', 'experimental_feature', 'performance_critical', 'deadline_delivery', 'incident_investigation', 'evaluation_run', 'large_refactor'] as const;
    const reason = given.reason ?? (await vscode.window.showQuickPick([...reasons], { title: 'Paramloop: Grant a budget waiver: why?' }));
    if (!reason || !(reasons as readonly string[]).includes(reason)) return undefined;
    const tokensText = given.tokens !== undefined ? String(given.tokens) : await vscode.window.showInputBox({ title: 'Paramloop: Extra tokens for today', value: '50000', validateInput: (v) => (/^\d+$/.test(v) && Number(v) > 0 ? undefined : 'a positive whole number') });
    if (tokensText === undefined) return undefined;
    const hoursText = given.hours !== undefined ? String(given.hours) : await vscode.window.showInputBox({ title: 'Paramloop: Expires in how many hours?', value: '8', validateInput: (v) => (Number(v) > 0 && Number(v) <= 24 * 30 ? undefined : 'between 0 and 720 hours') });
    if (hoursText === undefined) return undefined;
    const actor = actorName();
    try {
      const proposal = {
        id: `waiver-${Date.now().toString(36)}`,
        taskType: given.taskType ?? 'all',
        period: given.period ?? 'day',
        delta: Number(tokensText),
        reason: reason as (typeof reasons)[number],
        note: given.note ?? '',
        expiresAt: Date.now() + Number(hoursText) * 3_600_000,
      };
      const proposed = await connection.proposeWaiver(proposal, actor);
      const active = await connection.activateWaiver(proposed.id, actor);
      deps.changed();
      void vscode.window.showInformationMessage(`Paramloop: waiver ${active.id} grants ${active.delta} tokens until ${new Date(active.expiresAt).toLocaleString()}.`);
      return active;
    } catch (error) {
      void vscode.window.showErrorMessage(`Paramloop: the waiver was refused: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
  });
  register('paramloop.revokeWaiver', async (arg?: unknown) => {
    const given = (arg ?? {}) as { id?: string; reason?: string };
    const connection = await deps.connection();
    if (!connection) return undefined;
    const status = await connection.status();
    const active = status.waivers.filter((w) => w.status === 'active' || w.status === 'proposed');
    const id = given.id ?? (await vscode.window.showQuickPick(active.map((w) => ({ label: w.id, description: `${w.delta} tokens, ${w.taskType}, until ${new Date(w.expiresAt).toLocaleString()}` })), { title: 'Paramloop: Revoke which waiver?' }))?.label;
    if (!id) {
      if (active.length === 0) void vscode.window.showInformationMessage('Paramloop: no waiver is active.');
      return undefined;
    }
    const reason = given.reason ?? (await vscode.window.showInputBox({ title: 'Paramloop: Why revoke it?', ignoreFocusOut: true }));
    if (reason === undefined) return undefined;
    try {
      const revoked = await connection.revokeWaiver(id, actorName(), reason);
      deps.changed();
      return revoked;
    } catch (error) {
      void vscode.window.showErrorMessage(`Paramloop: revoking ${id} was refused: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
  });
}

/** What to tell the user about a failed request, and which action fixes it. */
export function failureMessage(error: LlmError): { text: string; actions: Array<{ title: string; command: string; args?: unknown }> } {
  const actions: Array<{ title: string; command: string; args?: unknown }> = [];
  switch (error.kind) {
    case 'auth':
      actions.push({ title: 'Set API Key', command: 'paramloop.setApiKey' });
      break;
    case 'unreachable':
    case 'notFound':
    case 'noModel':
      actions.push({ title: 'Choose Provider and Model', command: 'paramloop.chooseProvider' });
      break;
    default:
      break;
  }
  const next = 'The next request is served with your baseline parameters until the provider answers again.';
  return { text: `Paramloop: the plan failed (${error.kind}): ${error.message} ${next}`, actions };
}
