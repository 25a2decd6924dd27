import * as vscode from 'vscode';
import type { TaskType, Verdict } from '../core/types';
import type { LlmError, LlmProvider, ProviderId } from '../llm/provider';
import type { PlanRun, PlanArmsCache, ProviderHealth } from '../planning/runPlan';
import type { PlanSource, PlanTask } from '../planning/task';
import type { OutcomeResult } from '../service/protocolRecords';
import type * as LearnerModule from '../service/session';
import type { ServiceConnection } from '../service/session';
import type { ParameterSpace } from '../core/space';
import { DisposableStore } from './disposable';
import { PlanDocuments } from './planDocuments';
import { commandOf, commandResult, planFooter, planHeader, planName, titleOf, todoAt, type PlanCommandResult } from './planText';

export type { PlanCommandResult } from './planText';

/** What a planning command accepts as its argument (automation, tests, the chat participant). */
export interface PlanCommandArgs {
  /** The task in words (for Break Down TODO, the TODO; for Plan Tests, extra instructions). Asked for when absent where needed. */
  task?: string;
  taskType?: TaskType;
  provider?: ProviderId;
  model?: string;
  /** With the `vscode-lm` provider: the vendor of `model` (default: the first whose chat models have it). */
  vendor?: string;
  /** A file to plan on (a path or a URI); default: the active editor's. */
  file?: string;
  /** 1-based inclusive lines of `file` (default: the active editor's selection). */
  selection?: { startLine: number; endLine: number };
  /** Open the plan in an editor (default true). */
  show?: boolean;
}

/** A plan waiting for the user's verdict. */
interface PendingPlan {
  run: PlanRun;
  uri: vscode.Uri | undefined;
  shownAt: number;
  edited: boolean;
  timer: NodeJS.Timeout | undefined;
  verdict?: { verdict?: Verdict; rating?: number; implicit?: string };
  recorded?: Promise<OutcomeResult | undefined>;
}

/** The learner and what planning needs of it, once loaded. */
export interface PlanningLearner {
  module: typeof LearnerModule;
  connection: ServiceConnection;
  space: ParameterSpace;
}

export interface PlanningDeps {
  log: vscode.LogOutputChannel;
  documents: PlanDocuments;
  learner(): Promise<PlanningLearner | undefined>;
  /** The provider a request goes to (the settings', or the argument's), with its health and cached arms. */
  provider(args: PlanCommandArgs, learner: PlanningLearner): Promise<{ provider: LlmProvider; model: string; health: ProviderHealth; arms: PlanArmsCache }>;
  /** Seconds a plan waits for a verdict before its outcome is recorded without one. */
  verdictWaitSeconds(): number;
  /** Seconds without a byte from the provider before a request is given up. */
  idleTimeoutSeconds(): number;
  /** The session key of this window's requests (the sticky traffic split). */
  sessionKey: string;
  /** What recording an outcome caused (a rollback, a promotion, a budget event): told to the user. */
  onRecorded(result: OutcomeResult): void;
  /** Shows a provider failure with what to do, offering to retry. */
  onFailure(error: LlmError, retry: () => void): void;
  /** A decision was logged: what the window shows of the learner is out of date. */
  onDecision(): void;
}

/** A plan closed within this many seconds of being written, with no verdict, counts as rejected unread. */
const closedUnreadSeconds = 10;

/**
 * The planning commands' work in the extension: build the task from the editor (or the argument),
 * run it through the planning core, stream the plan into a plan document beside the code, and
 * record its outcome with the user's verdict (Accept, Reject, Rate), an implicit one (closed unread,
 * edited), or none once the wait is over.
 */
export class PlanningController implements vscode.Disposable {
  private readonly disposables = new DisposableStore();
  private readonly pending = new Map<string, PendingPlan>();
  private readonly byUri = new Map<string, string>();
  private readonly lensesChanged = new vscode.EventEmitter<void>();
  private counter = 0;
  private budgetToldOn = '';

  constructor(private readonly deps: PlanningDeps) {
    this.disposables.register(this.lensesChanged);
    this.disposables.register(
      vscode.languages.registerCodeLensProvider({ scheme: PlanDocuments.scheme }, { provideCodeLenses: (doc) => this.lenses(doc), onDidChangeCodeLenses: this.lensesChanged.event }),
    );
    this.disposables.register(
      vscode.workspace.onDidChangeTextDocument((event) => {
        const id = this.byUri.get(event.document.uri.toString());
        const plan = id === undefined ? undefined : this.pending.get(id);
        // The plan's own writes reload the document (reason undefined, not dirty); a user's edit makes it dirty.
        if (plan && event.document.isDirty && event.contentChanges.length > 0) plan.edited = true;
      }),
    );
    this.disposables.register(
      vscode.window.tabGroups.onDidChangeTabs((event) => {
        for (const tab of event.closed) {
          const input = tab.input;
          if (!(input instanceof vscode.TabInputText) || input.uri.scheme !== PlanDocuments.scheme) continue;
          const id = this.byUri.get(input.uri.toString());
          const plan = id === undefined ? undefined : this.pending.get(id);
          if (!plan || plan.verdict || plan.recorded) continue;
          if (plan.edited) void this.settle(plan, { rating: 3, implicit: 'edited, then closed' });
          else if (Date.now() - plan.shownAt < closedUnreadSeconds * 1000) void this.settle(plan, { verdict: 'reject', implicit: `closed unread within ${closedUnreadSeconds} s` });
        }
      }),
    );
  }

  /** Plans: builds the task, runs it, shows it; undefined when the user cancelled an input. */
  async plan(taskType: TaskType, args: PlanCommandArgs = {}, onText?: (text: string) => void, token?: vscode.CancellationToken): Promise<PlanCommandResult | undefined> {
    const task = await this.task(args.taskType ?? taskType, args);
    if (task === undefined) return undefined;
    const learner = await this.deps.learner();
    if (learner === undefined) {
      throw new Error('the learner is unavailable (see the Paramloop log): no plan was asked for. Fix what the log names, then reload the window.');
    }
    const { provider, model, health, arms } = await this.deps.provider(args, learner);
    const uri = args.show === false ? undefined : this.deps.documents.uriFor(planName(task, ++this.counter));
    const header = planHeader(task, provider.id, model);
    let streamed = '';
    let lastWrite = 0;
    let writeTimer: NodeJS.Timeout | undefined;
    const flush = (): void => {
      writeTimer = undefined;
      lastWrite = Date.now();
      if (uri) this.deps.documents.write(uri, `${header}${streamed}`);
    };
    if (uri) {
      this.deps.documents.write(uri, `${header}_Waiting for ${provider.id} (${model})…_\n`);
      const doc = await vscode.workspace.openTextDocument(uri);
      await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true, preview: false });
    }
    const abort = new AbortController();
    const cancel = token?.onCancellationRequested(() => abort.abort());
    let run: PlanRun;
    try {
      run = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Paramloop: ${titleOf(task.taskType)}`, cancellable: true },
        async (progress, progressToken) => {
          const stop = progressToken.onCancellationRequested(() => abort.abort());
          progress.report({ message: `asking ${provider.id} (${model})…` });
          let chars = 0;
          try {
            return await learner.module.runPlan(
              { service: learner.connection, provider, space: learner.space, model, health, sessionKey: this.deps.sessionKey, armsCache: arms },
              task,
              {
                signal: abort.signal,
                idleTimeoutMs: this.deps.idleTimeoutSeconds() * 1000,
                onText: (text) => {
                  streamed += text;
                  chars += text.length;
                  onText?.(text);
                  if (chars % 400 < text.length) progress.report({ message: `writing the plan… ${Math.round(chars / 4)} tokens` });
                  if (uri && writeTimer === undefined) writeTimer = setTimeout(flush, Math.max(0, 75 - (Date.now() - lastWrite)));
                },
              },
            );
          } finally {
            stop.dispose();
          }
        },
      );
    } finally {
      cancel?.dispose();
      if (writeTimer) clearTimeout(writeTimer);
    }
    if (uri) this.deps.documents.write(uri, `${header}${run.text}${planFooter(run)}`);
    this.deps.onDecision();
    if (run.budget.action === 'fallback' && this.budgetToldOn !== new Date().toDateString()) {
      // Once a day: the budget no longer covers the chosen arms.
      this.budgetToldOn = new Date().toDateString();
      void vscode.window.showWarningMessage(`Paramloop: ${run.budget.message ?? `today's token budget for ${task.taskType} is spent`}; requests are served with the cheapest parameters until it renews. "Paramloop: Grant a Budget Waiver…" lifts it for a while.`, 'Grant a Waiver').then((c) => c && vscode.commands.executeCommand('paramloop.grantWaiver'));
    }
    const result = commandResult(run, uri?.toString());
    if (run.error) {
      // A failed or cancelled request has nothing to judge: its outcome is recorded now.
      void this.recordNow(run);
      if (run.error.kind !== 'cancelled') this.deps.onFailure(run.error, () => void vscode.commands.executeCommand(commandOf(task.taskType), { ...args, task: task.text }));
      return result;
    }
    const plan: PendingPlan = { run, uri, shownAt: Date.now(), edited: false, timer: undefined };
    plan.timer = setTimeout(() => void this.settle(plan, {}), this.deps.verdictWaitSeconds() * 1000);
    this.pending.set(run.requestId, plan);
    if (uri) this.byUri.set(uri.toString(), run.requestId);
    this.lensesChanged.fire();
    return result;
  }

  /** Records the user's verdict on a plan (the one given, else the active plan editor's, else the latest). */
  async verdict(requestId: string | undefined, verdict: Verdict | undefined, rating?: number): Promise<OutcomeResult | undefined> {
    const id = requestId ?? this.activeRequestId() ?? [...this.pending.keys()].pop();
    if (id === undefined) {
      void vscode.window.showInformationMessage('Paramloop: no plan is waiting for a verdict.');
      return undefined;
    }
    const plan = this.pending.get(id);
    if (!plan) {
      // Not this window's, or already recorded: the learner holds it for the outcome if it can.
      const learner = await this.deps.learner();
      const answer = await learner?.connection.feedback(id, { ...(verdict ? { verdict } : {}), ...(rating !== undefined ? { rating } : {}) });
      if (answer) void vscode.window.showInformationMessage(`Paramloop: ${answer.message}`);
      return undefined;
    }
    return this.settle(plan, { ...(verdict ? { verdict } : {}), ...(rating !== undefined ? { rating } : {}) });
  }

  /** Records every plan still waiting, without a verdict (the window closes). */
  async settleAll(): Promise<void> {
    await Promise.allSettled([...this.pending.values()].map((plan) => this.settle(plan, {})));
  }

  /** Request ids of plans waiting for a verdict. */
  waiting(): string[] {
    return [...this.pending.keys()];
  }

  private activeRequestId(): string | undefined {
    const uri = vscode.window.activeTextEditor?.document.uri;
    return uri ? this.byUri.get(uri.toString()) : undefined;
  }

  private settle(plan: PendingPlan, given: { verdict?: Verdict; rating?: number; implicit?: string }): Promise<OutcomeResult | undefined> {
    if (plan.recorded) return plan.recorded;
    if (plan.timer) clearTimeout(plan.timer);
    plan.verdict = given;
    this.pending.delete(plan.run.requestId);
    if (given.implicit) this.deps.log.info(`Plan ${plan.run.requestId}: ${given.implicit}, recorded as ${given.verdict ?? `rating ${given.rating}`}`);
    plan.recorded = plan.run
      .record(given.verdict, given.rating)
      .then((result) => {
        this.deps.onRecorded(result);
        return result;
      })
      .catch((error: unknown) => {
        this.deps.log.error(`Plan ${plan.run.requestId}: its outcome could not be recorded: ${error instanceof Error ? error.message : String(error)}`);
        return undefined;
      })
      .finally(() => this.lensesChanged.fire());
    if (plan.uri && (given.verdict || given.rating !== undefined)) {
      const text = given.rating !== undefined ? `rated ${given.rating}/5` : given.verdict === 'accept' ? 'accepted' : 'rejected';
      void vscode.window.setStatusBarMessage(`Paramloop: plan ${text}${given.implicit ? ` (${given.implicit})` : ''}`, 4000);
    }
    this.settledLabels.set(plan.run.requestId, given);
    return plan.recorded;
  }

  private readonly settledLabels = new Map<string, { verdict?: Verdict; rating?: number; implicit?: string }>();

  private recordNow(run: PlanRun): Promise<OutcomeResult | undefined> {
    return run.record().then(
      (result) => {
        this.deps.onRecorded(result);
        return result;
      },
      (error: unknown) => {
        this.deps.log.error(`Plan ${run.requestId}: its outcome could not be recorded: ${error instanceof Error ? error.message : String(error)}`);
        return undefined;
      },
    );
  }

  private lenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    const id = this.byUri.get(doc.uri.toString());
    if (id === undefined) return [];
    const top = new vscode.Range(0, 0, 0, 0);
    const explain = new vscode.CodeLens(top, { title: '$(info) Explain', command: 'paramloop.openDashboard', arguments: [{ explain: id }], tooltip: 'How this plan\'s parameters were chosen, in the dashboard' });
    if (this.pending.has(id)) {
      return [
        new vscode.CodeLens(top, { title: '$(check) Accept', command: 'paramloop.acceptPlan', arguments: [{ requestId: id }], tooltip: 'This plan is good: the optimizer learns from it' }),
        new vscode.CodeLens(top, { title: '$(close) Reject', command: 'paramloop.rejectPlan', arguments: [{ requestId: id }], tooltip: 'This plan is not usable' }),
        new vscode.CodeLens(top, { title: '$(star-empty) Rate…', command: 'paramloop.ratePlan', arguments: [{ requestId: id }], tooltip: 'Rate this plan from 1 to 5' }),
        explain,
      ];
    }
    const given = this.settledLabels.get(id);
    const said = given?.rating !== undefined ? `rated ${given.rating}/5` : given?.verdict === 'accept' ? 'accepted' : given?.verdict === 'reject' ? 'rejected' : 'recorded without a verdict';
    return [new vscode.CodeLens(top, { title: `Verdict: ${said}${given?.implicit ? ` (${given.implicit})` : ''}`, command: '' }), explain];
  }

  /** The task from the argument, else from the editor (asking for what is missing). */
  private async task(taskType: TaskType, args: PlanCommandArgs): Promise<PlanTask | undefined> {
    const source = await this.source(taskType, args);
    const workspaceKind = (vscode.workspace.workspaceFolders?.length ?? 0) === 0 ? 'none' : vscode.workspace.workspaceFolders!.length > 1 ? 'multiRoot' : 'folder';
    let text = args.task;
    if (text === undefined && taskType === 'breakDownTodo' && source) text = todoAt(source);
    if (text === undefined && taskType === 'breakDownTodo') {
      throw new Error('Break Down TODO: no TODO comment at the cursor. Put the cursor on a line with a TODO comment (e.g. `// TODO: …`).');
    }
    if (text === undefined && taskType === 'planTests') text = '';
    if (text === undefined) {
      text = await vscode.window.showInputBox({
        title: `Paramloop: ${titleOf(taskType)}`,
        prompt: taskType === 'planSelection' ? 'What should change in the selected code?' : 'What do you want to do?',
        placeHolder: taskType === 'planSelection' ? 'e.g. extract the retry loop into a function with tests' : 'e.g. add an export of the log to CSV with a command',
        ignoreFocusOut: true,
        validateInput: (value) => (value.trim() === '' ? 'Describe the task in a few words' : undefined),
      });
      if (text === undefined) return undefined;
    }
    if ((taskType === 'planSelection' || taskType === 'planTests') && !source) {
      throw new Error(`${titleOf(taskType)}: open a file${taskType === 'planSelection' ? ' and select the code' : ''} first.`);
    }
    if (taskType === 'planSelection' && source && !source.selection) throw new Error('Plan Selection: select the code to plan on first.');
    return { taskType, text, ...(source ? { source } : {}), workspaceKind };
  }

  private async source(taskType: TaskType, args: PlanCommandArgs): Promise<PlanSource | undefined> {
    let doc: vscode.TextDocument | undefined;
    let selection = args.selection;
    if (args.file !== undefined) {
      const uri = /^[a-z][a-z0-9+.-]+:/i.test(args.file) && !/^[a-z]:[\\/]/i.test(args.file) ? vscode.Uri.parse(args.file) : vscode.Uri.file(args.file);
      doc = await vscode.workspace.openTextDocument(uri);
    } else {
      const editor = vscode.window.activeTextEditor;
      if (editor && editor.document.uri.scheme !== PlanDocuments.scheme) {
        doc = editor.document;
        if (!selection && !editor.selection.isEmpty) selection = { startLine: editor.selection.start.line + 1, endLine: editor.selection.end.line + (editor.selection.end.character === 0 && editor.selection.end.line > editor.selection.start.line ? 0 : 1) };
        if (!selection && taskType === 'breakDownTodo') selection = { startLine: editor.selection.active.line + 1, endLine: editor.selection.active.line + 1 };
      }
    }
    if (!doc) return undefined;
    if (taskType === 'planTask' && args.file === undefined && !selection) return undefined;
    return {
      path: vscode.workspace.asRelativePath(doc.uri, false),
      languageId: doc.languageId,
      text: doc.getText(),
      ...(selection && taskType !== 'planTests' ? { selection } : {}),
    };
  }

  dispose(): void {
    for (const plan of this.pending.values()) if (plan.timer) clearTimeout(plan.timer);
    this.disposables.dispose();
  }
}
