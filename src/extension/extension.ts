import * as vscode from 'vscode';
import { join } from 'node:path';
import type * as LearnerModule from '../service/session';
import type { LearnerSession, LearnerStatus, ServiceConnection, ServingProcess, StoreUserSettings, UserMessage } from '../service/session';
import type { RolloutPhase } from '../core/types';
import type { ServiceSettings } from '../service/optimizerService';
import type { OutcomeResult } from '../service/protocolRecords';
import { registerChatParticipant } from './chat';
import { failureMessage, registerCommands } from './commands';
import { readLearnerInput, readProviderSettings, readSettings } from './config';
import type { Settings } from './config';
import { DisposableStore } from './disposable';
import { registerExportLogs } from './exportLogs';
import { PlanDocuments } from './planDocuments';
import { PlanningController, type PlanCommandArgs, type PlanCommandResult } from './planning';
import { Providers } from './providers';
import { SidebarViewProvider } from './sidebarView';
import { registerDashboard } from './dashboardPanel';

const moduleLoadedAt = performance.now();

/** What `activate` returns: read by the integration tests and the benchmark. */
export interface ParamloopApi {
  /** Milliseconds from this module's load to the end of `activate`, measured in the extension host. */
  readonly activationMs: number;
  readonly version: string;
  /** Resolves once the decision log has been opened (or found unavailable). */
  decisionLog(): Promise<DecisionLogStatus>;
  /**
   * The user's learner (the optimizer service, whether this window serves it or is a client of the
   * window that does), for automation and tests; undefined when it is unavailable.
   */
  learner(): Promise<LearnerApi | undefined>;
  /** Runs a planning command's work without its UI around errors (tests and automation). */
  plan(args: PlanCommandArgs & { taskType: NonNullable<PlanCommandArgs['taskType']> }): Promise<PlanCommandResult | undefined>;
  /** Request ids of plans waiting for a verdict in this window. */
  plansWaiting(): string[];
  /**
   * What the user's log holds for a request (its decision, outcome and reward), read from the store
   * when this window serves; undefined otherwise or when the log has no such request.
   */
  loggedRequest(requestId: string): Promise<{ decision: unknown; outcome?: unknown; reward?: unknown } | undefined>;
}

/** The learner's operations: decide, log once sent, record the outcome, the user's verdict, status. */
export type LearnerApi = Pick<ServiceConnection, 'recommend' | 'logDecision' | 'recordOutcome' | 'feedback' | 'status' | 'serving' | 'role'>;

export interface DecisionLogStatus {
  /** The store's folder: `decision-log` in the extension's global storage, one log per user. */
  dir: string;
  state: 'ready' | 'unavailable';
  decisions: number;
  /** Who serves the learner (this window, or another process by pid); absent when unavailable. */
  servedBy?: ServingProcess;
  /** What the user was told: while the log opened, and since (an import or a recovery when this window took over). */
  messages: UserMessage[];
  /** This workspace's earlier, per-workspace log; absent without a workspace. */
  workspaceLog?: WorkspaceLogStatus;
}

/** What became of the log an earlier version kept in this workspace's storage. */
export interface WorkspaceLogStatus {
  /** `decision-log` in the workspace's storage. */
  dir: string;
  /**
   * none: there is no log there; imported: imported now; importedBefore: marked as imported
   * earlier; failed: not imported (see the messages); waiting: another window holds the user's log.
   */
  state: 'none' | 'imported' | 'importedBefore' | 'failed' | 'waiting';
  /** Decisions this activation added to the user's log from it. */
  imported: number;
}

let root: DisposableStore | undefined;
let session: Promise<LearnerSession> | undefined;
let planningController: PlanningController | undefined;

/**
 * The learner's bundle (dist/decisionLog.js: the optimizer service, the store and sql.js's glue),
 * loaded after activation so that the extension's own bundle stays small.
 */
function loadLearnerModule(): typeof LearnerModule {
  // A path built at run time: esbuild leaves this require to Node.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(join(__dirname, 'decisionLog.js')) as typeof LearnerModule;
}

function storeSettings(settings: Settings): StoreUserSettings {
  const retention: StoreUserSettings['retention'] = {};
  if (settings.store.keepDays !== undefined) retention.keepDays = settings.store.keepDays;
  if (settings.store.keepDecisions !== undefined) retention.keepDecisions = settings.store.keepDecisions;
  return { retention, includePromptText: settings.store.includePromptText };
}

/**
 * Log lines for everything; a notification (with a way to the log) for warnings and errors, and for
 * information that asks for one.
 */
function tell(log: vscode.LogOutputChannel, messages: readonly UserMessage[]): void {
  for (const message of messages) {
    if (message.level === 'info') log.info(message.text);
    else if (message.level === 'error') log.error(message.text);
    else log.warn(message.text);
    if (!(message.notify ?? message.level !== 'info')) continue;
    const show =
      message.level === 'error' ? vscode.window.showErrorMessage : message.level === 'warning' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    void show(message.text, 'Show log').then((choice) => {
      if (choice === 'Show log') log.show(true);
    });
  }
}

export function activate(context: vscode.ExtensionContext): ParamloopApi {
  root = new DisposableStore();
  context.subscriptions.push(root);
  const version = String((context.extension.packageJSON as { version?: unknown }).version ?? '0.0.0');

  const log = root.register(vscode.window.createOutputChannel('Paramloop', { log: true }));
  let { settings, problems } = readSettings();
  problems.forEach((problem) => log.warn(problem));

  const statusBar = root.register(vscode.window.createStatusBarItem('paramloop.phase', vscode.StatusBarAlignment.Right, 100));
  statusBar.name = 'Paramloop rollout phase';
  statusBar.text = '$(beaker) Paramloop: shadow';
  statusBar.tooltip = 'Paramloop serves the baseline parameters while it learns (shadow phase). Click to open the dashboard.';
  statusBar.command = 'paramloop.openDashboard';
  const applyStatusBar = (): void => (settings.statusBar.enabled ? statusBar.show() : statusBar.hide());
  applyStatusBar();

  // One decision log per user, in the global storage: the workspace is a context feature, so what
  // differs between projects is still learned. The window holding the log's lock serves the learner;
  // the user's other windows are its clients over a local socket. It opens off the activation path
  // (sql.js compiles its WebAssembly first).
  const storeDir = join(context.globalStorageUri.fsPath, 'decision-log');
  // Where earlier versions kept a log per workspace: imported into the user's log once.
  const workspaceLogDir = context.storageUri === undefined ? undefined : join(context.storageUri.fsPath, 'decision-log');
  let opened: LearnerSession | undefined;
  let learnerModule: typeof LearnerModule | undefined;
  let learnerView: LearnerStatus | undefined;
  let learnerProblem = '';
  let serviceSettings: ServiceSettings | undefined;
  /** What the learner told after it opened (a takeover, an import then): kept for the status too. */
  const toldLater: UserMessage[] = [];
  session = new Promise<void>((resolve) => setImmediate(resolve)).then(async (): Promise<LearnerSession> => {
    try {
      learnerModule = loadLearnerModule();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const text = `Decision log: its module could not be loaded (${reason}); reinstalling Paramloop should fix this. Paramloop keeps serving the baseline parameters and records no decisions.`;
      return { connection: undefined, messages: [{ level: 'error', text }], workspaceLog: { state: 'none', imported: 0 } };
    }
    const learnerSettings = learnerModule.readLearnerSettings(readLearnerInput());
    learnerSettings.problems.forEach((problem) => log.warn(problem));
    if (learnerSettings.problems.length > 0) void vscode.window.showWarningMessage(`Paramloop: ${learnerSettings.problems.join(' ')}`, 'Open Settings').then((c) => c && vscode.commands.executeCommand('paramloop.openSettings'));
    serviceSettings = withLocalBudgetDays(learnerSettings.settings);
    return learnerModule.openLearnerSession(storeDir, storeSettings(settings), {
      serviceSettings,
      wasmDir: learnerModule.defaultWasmDir(__dirname),
      ...(workspaceLogDir !== undefined ? { workspaceLogDir } : {}),
      tell: (messages) => {
        toldLater.push(...messages);
        tell(log, messages);
      },
      log: (line) => log.info(`Learner: ${line}`),
      onError: (error) => log.error(`Decision log: ${error.message}`),
    });
  });
  const storeStatus = (): { state: 'opening' | 'ready' | 'unavailable'; detail: string } => {
    if (opened === undefined) return { state: 'opening', detail: '' };
    if (opened.connection === undefined) return { state: 'unavailable', detail: opened.messages.map((m) => m.text).join(' ') };
    if (learnerProblem !== '') return { state: 'ready', detail: learnerProblem };
    return { state: 'ready', detail: '' };
  };

  const applyLearnerToStatusBar = (): void => {
    const phase = learnerView === undefined ? 'shadow' : (lastPhase ?? 'shadow');
    const budget = learnerView?.budget.find((b) => b.taskType === 'planTask') ?? learnerView?.budget[0];
    const today = budget === undefined ? '' : ` · ${compact(budget.daySpent)}${budget.dayLimit === null ? '' : `/${compact(budget.dayLimit)}`} tokens today`;
    statusBar.text = `$(beaker) Paramloop: ${phase}${today}`;
    statusBar.tooltip =
      learnerView === undefined
        ? 'Paramloop serves the baseline parameters while it learns (shadow phase). Click to open the dashboard.'
        : `Paramloop rollout phase: ${phase}${learnerView.rolloutStatus === 'active' ? '' : ` (${learnerView.rolloutStatus})`}. Learner served by ${learnerView.servedBy}. Click to open the dashboard.`;
  };
  let lastPhase: RolloutPhase | undefined;
  let refreshing: Promise<void> | undefined;
  /** Asks the learner for its status (wherever it is served) and shows it; never throws. */
  const refreshLearner = (): Promise<void> => {
    const connection = opened?.connection;
    if (connection === undefined || learnerModule === undefined) return Promise.resolve();
    const module = learnerModule;
    refreshing ??= connection
      .status()
      .then((status) => {
        learnerView = module.learnerStatusOf(status, connection.serving);
        lastPhase = status.phase;
        learnerProblem = '';
      })
      .catch((error: unknown) => {
        learnerProblem = `The learner did not answer: ${error instanceof Error ? error.message : String(error)}`;
      })
      .finally(() => {
        refreshing = undefined;
        applyLearnerToStatusBar();
        sidebar.refresh();
      });
    return refreshing;
  };

  const sidebar = root.register(
    new SidebarViewProvider(
      context.extensionUri,
      log,
      () => {
        const status = {
          extensionVersion: version,
          phase: lastPhase ?? 'shadow',
          decisionsLogged: learnerView?.decisions ?? 0,
          store: storeStatus(),
          note:
            (learnerView?.decisions ?? 0) === 0
              ? 'No planning requests logged yet. Until the learned policy earns promotion, requests are served with the baseline parameters.'
              : 'Until the learned policy earns promotion, requests are served with the baseline parameters.',
        };
        return learnerView === undefined ? status : { ...status, learner: learnerView };
      },
      () => void refreshLearner(),
    ),
  );
  const ready = session.then((result) => {
    opened = result;
    tell(log, result.messages);
    const connection = result.connection;
    if (connection !== undefined) {
      log.info(`Decision log ${storeDir}: the learner is served by ${learnerModule?.describeServing(connection.serving) ?? 'this window'}`);
      const unsubscribe = connection.onServingChange((serving) => {
        log.info(`Learner: now served by ${learnerModule?.describeServing(serving) ?? `process ${serving.pid}`}`);
        void refreshLearner();
      });
      root?.register({ dispose: unsubscribe });
      // Other windows log too: while the sidebar shows, its counts follow.
      const timer = setInterval(() => {
        if (sidebar.visible) void refreshLearner();
      }, 5000);
      root?.register({ dispose: () => clearInterval(timer) });
    }
    sidebar.refresh();
    void refreshLearner();
    return result;
  });
  root.register(vscode.window.registerWebviewViewProvider(SidebarViewProvider.viewId, sidebar));

  // Planning: plan documents, providers, the controller, its commands and the chat participant.
  const documents = root.register(new PlanDocuments());
  root.register(vscode.workspace.registerFileSystemProvider(PlanDocuments.scheme, documents, { isCaseSensitive: true }));
  const providers = new Providers(context.secrets, log);
  root.register(vscode.lm.onDidChangeChatModels(() => providers.forgetChatModels()));
  let providerSettings = readProviderSettings();
  providerSettings.problems.forEach((problem) => log.warn(problem));
  const planningLearner = async () => {
    const result = await ready;
    if (result.connection === undefined || learnerModule === undefined || serviceSettings === undefined) return undefined;
    return { module: learnerModule, connection: result.connection, space: serviceSettings.space };
  };
  const onRecorded = (result: OutcomeResult): void => {
    for (const event of result.events) {
      if (event.kind === 'rollback') void vscode.window.showWarningMessage(`Paramloop rolled back to ${event.to}: ${event.reason}`, 'Show log').then((c) => c && log.show(true));
      else if (event.kind === 'promote') void vscode.window.showInformationMessage(`Paramloop: the learned policy is promoted to ${event.to}.`);
      else if (event.kind === 'promotable') void vscode.window.showInformationMessage(`Paramloop: the learned policy may be promoted to the next phase.`, 'Promote').then((c) => c && vscode.commands.executeCommand('paramloop.promote'));
      log.info(`Rollout: ${event.kind} ${event.from} → ${event.to} by ${event.actor}: ${event.reason}`);
    }
    if (result.incident) log.warn(`Incident ${result.incident.id}: ${result.incident.breach.message}`);
    void refreshLearner();
  };
  const planning = root.register(
    new PlanningController({
      log,
      documents,
      learner: planningLearner,
      provider: async (args, learner) => providers.get(learner.module, providerSettings.settings, learner.space, { ...(args.provider ? { provider: args.provider } : {}), ...(args.model ? { model: args.model } : {}), ...(args.vendor ? { vendor: args.vendor } : {}) }),
      verdictWaitSeconds: () => settings.feedback.waitSeconds,
      idleTimeoutSeconds: () => settings.request.timeoutSeconds,
      sessionKey: `window-${vscode.env.sessionId}`,
      onRecorded,
      onDecision: () => void refreshLearner(),
      onFailure: (error, retry) => {
        const { text, actions } = failureMessage(error);
        log.error(text);
        void vscode.window.showErrorMessage(text, 'Retry', ...actions.map((a) => a.title), 'Show log').then((choice) => {
          if (choice === 'Retry') retry();
          else if (choice === 'Show log') log.show(true);
          else {
            const action = actions.find((a) => a.title === choice);
            if (action) void vscode.commands.executeCommand(action.command, action.args);
          }
        });
      },
    }),
  );
  planningController = planning;
  registerCommands(root, {
    planning,
    log,
    secrets: context.secrets,
    connection: async () => (await ready).connection,
    changed: () => void refreshLearner(),
    keysChanged: () => providers.reset(),
  });
  registerExportLogs(root, { storeDir, log, module: () => learnerModule ?? loadLearnerModule(), wasmDir: (module) => module.defaultWasmDir(__dirname) });
  root.register(context.secrets.onDidChange(() => providers.reset()));
  try {
    root.register(registerChatParticipant(planning, () => providerSettings.settings.provider, log));
  } catch (error) {
    // Hosts without the chat API (older code-server builds) still get the commands.
    log.info(`The @paramloop chat participant is not available here: ${error instanceof Error ? error.message : String(error)}`);
  }

  root.register(vscode.commands.registerCommand('paramloop.showLog', () => log.show(true)));
  root.register(
    vscode.commands.registerCommand('paramloop.openSettings', () =>
      vscode.commands.executeCommand('workbench.action.openSettings', '@ext:paramloop.paramloop'),
    ),
  );
  registerDashboard(root, { extensionUri: context.extensionUri, log, learner: async () => ({ ...(await ready), module: learnerModule }) });

  root.register(
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (!event.affectsConfiguration('paramloop')) return;
      ({ settings, problems } = readSettings());
      problems.forEach((problem) => log.warn(problem));
      providerSettings = readProviderSettings();
      providerSettings.problems.forEach((problem) => log.warn(problem));
      providers.reset();
      applyStatusBar();
      const { retention, includePromptText } = storeSettings(settings);
      if (learnerModule !== undefined && opened?.storeOptions !== undefined) {
        // What a later takeover by this window opens the store with, and the store it serves now.
        const update = { retention: learnerModule.retentionOrNone(retention), storePromptText: includePromptText };
        Object.assign(opened.storeOptions, update);
        opened.connection?.service?.store.updateSettings(update);
      }
      sidebar.refresh();
    }),
  );

  const activationMs = performance.now() - moduleLoadedAt;
  log.info(`Paramloop ${version} activated in ${activationMs.toFixed(1)} ms`);
  return {
    activationMs,
    version,
    decisionLog: async () => {
      const result = await ready;
      const connection = result.connection;
      let decisions = 0;
      if (connection !== undefined) decisions = (await connection.status()).decisions;
      const status: DecisionLogStatus = {
        dir: storeDir,
        state: connection === undefined ? 'unavailable' : 'ready',
        decisions,
        messages: [...result.messages, ...toldLater],
      };
      if (connection !== undefined) status.servedBy = connection.serving;
      if (workspaceLogDir !== undefined) status.workspaceLog = { dir: workspaceLogDir, ...result.workspaceLog };
      return status;
    },
    learner: async () => {
      const connection = (await ready).connection;
      if (connection === undefined) return undefined;
      // Every operation refreshes what this window shows.
      const after = <T>(promise: Promise<T>): Promise<T> => promise.finally(() => void refreshLearner());
      const api: LearnerApi = {
        recommend: (context, sessionKey) => after(connection.recommend(context, sessionKey)),
        logDecision: (requestId, mapping) => after(connection.logDecision(requestId, mapping)),
        recordOutcome: (requestId, outcome) => after(connection.recordOutcome(requestId, outcome)),
        feedback: (requestId, feedback) => after(connection.feedback(requestId, feedback)),
        status: (at?: number) => connection.status(at),
        get serving() {
          return connection.serving;
        },
        get role() {
          return connection.role;
        },
      };
      return api;
    },
    plan: (args) => planning.plan(args.taskType, args),
    plansWaiting: () => planning.waiting(),
    loggedRequest: async (requestId) => {
      const store = (await ready).connection?.service?.store;
      return store?.loggedByRequestId(requestId);
    },
  };
}

/** 12345 → "12k", 1500000 → "1.5M". */
function compact(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(n >= 1e7 ? 0 : 1)}M`;
  if (n >= 1e3) return `${Math.round(n / 1e3)}k`;
  return String(Math.round(n));
}

/** Budget days and weeks follow the user's time zone unless the settings say otherwise. */
function withLocalBudgetDays(settings: ServiceSettings): ServiceSettings {
  const budget = settings.guarded?.budget ?? {};
  if (budget.utcOffsetMinutes !== undefined) return settings;
  return { ...settings, guarded: { ...settings.guarded, budget: { ...budget, utcOffsetMinutes: -new Date().getTimezoneOffset() } } };
}

/** Closes the learner: this window's clients take over, or this client disconnects. */
export async function deactivate(): Promise<void> {
  const pending = session;
  session = undefined;
  try {
    // Plans still waiting for a verdict are recorded without one before the learner closes.
    await planningController?.settleAll();
    planningController = undefined;
    await (await pending)?.connection?.close();
  } finally {
    root?.dispose();
    root = undefined;
  }
}
