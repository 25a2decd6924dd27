// The user's learner for an editor window: the optimizer service of the user's one decision log,
// served by this window or reached as a client of the process that serves it
// (ARCHITECTURE.md §"One learner per user"), with what the user is told about it in words and
// without importing `vscode` (the extension turns the messages into notifications and log lines).
// A learner that cannot be reached is not fatal: the window keeps serving baseline parameters and
// records nothing until the problem is fixed; nothing on disk is changed by a refused open.
//
// Bundled on its own as dist/decisionLog.js: the extension loads it after activation.
import { createHash } from 'node:crypto';
import { buildSpace } from '../core/space';
import { parsePolicySettings } from '../core/policies';
import { parseRewardSettings } from '../core/reward';
import type { Clock } from '../core/optimizer';
import { StoreLockedError } from '../store/lock';
import { StoreVersionError } from '../store/schema';
import { retentionOrNone, waitingWorkspaceLogMessages, workspaceImportMessages, type StoreUserSettings, type UserMessage } from '../store/session';
import type { Store, StoreOptions } from '../store/store';
import { importWorkspaceLog, type WorkspaceImportResult } from '../store/workspaceImport';
import { connect, type ServiceConnection, type ServingProcess } from './connection';
import type { ServiceSettings } from './optimizerService';
import { ServiceUnavailableError } from './serviceError';
import type { ArmEstimate, ServiceStatus } from './status';
import type { LearnerStatus } from '../shared/protocol';

export { defaultWasmDir } from '../store/sqlite';
export { ExportCancelledError, exportFolder, exportFormatDescriptions, exportFormats } from '../store/exportFile';
export type { ExportFormat, ExportSummary } from '../store/exportFile';
export { StoreDataLossError, StoreNotFoundError } from '../store/recovery';
export { retentionOrNone } from '../store/session';
export type { StoreUserSettings, UserMessage } from '../store/session';
export type { ServiceConnection, ServingProcess } from './connection';
export type { ServiceStatus } from './status';
export type { LearnerStatus } from '../shared/protocol';
export { createDashboardHandlers, forwardingDashboardHandlers } from './dashboardData';
export type { ServiceDashboardHandlers } from './dashboardData';
export { watchDashboardChanges } from './dashboardChanges';

/** What became of this workspace's earlier, per-workspace log. */
export type WorkspaceLogState = 'none' | 'imported' | 'importedBefore' | 'failed' | 'waiting';

export interface LearnerSession {
  /** Undefined when the learner could not be reached (see `messages`). */
  connection: ServiceConnection | undefined;
  /** What the user is told about opening (recovery, an import, why it is unavailable). */
  messages: UserMessage[];
  /** This workspace's earlier log: its state, and the decisions imported from it by this window. */
  workspaceLog: { state: WorkspaceLogState; imported: number };
  /**
   * What this window opens the store with when it serves (now, or taking over later): the caller
   * updates its retention and prompt-text fields when the settings change. Absent when the
   * learner's module could not be loaded.
   */
  storeOptions?: StoreOptions;
}

export interface LearnerSessionOptions {
  /** Folder holding sql-wasm.wasm. */
  wasmDir: string;
  /** Where an earlier version kept this workspace's log: imported once by the window that serves. */
  workspaceLogDir?: string;
  /** Messages that arise after the session opened (this window took over and imported, recovered…). */
  tell: (messages: UserMessage[]) => void;
  /** A line for the log (connections, handovers). */
  log: (line: string) => void;
  /** Reports a store failure while this window serves. */
  onError?: (error: Error) => void;
  clock?: Clock;
  /** How long connecting keeps trying (default 15 s). */
  timeoutMs?: number;
  /** The learner's settings when this window serves (default: `defaultServiceSettings()`). */
  serviceSettings?: ServiceSettings;
}

const degraded = 'Paramloop keeps serving the baseline parameters and records no decisions until this is resolved.';

/**
 * The learner's settings: the default parameter space and policy (Thompson sampling). The space is
 * a context of the log: a log written with another space is relearned from its outcomes on open.
 */
export function defaultServiceSettings(): ServiceSettings {
  return { space: buildSpace({}), policyKind: 'thompson', policySettings: parsePolicySettings({}), rewardSettings: parseRewardSettings({}) };
}

/**
 * Serves the user's log in `dir` or connects to the process that does; never throws. The result's
 * `storeOptions` is the object a later takeover opens the store with: the caller updates its
 * retention and prompt-text fields when the settings change.
 */
export async function openLearnerSession(dir: string, settings: StoreUserSettings, options: LearnerSessionOptions): Promise<LearnerSession> {
  const workspaceLog: LearnerSession['workspaceLog'] = { state: 'none', imported: 0 };
  let opening = true;
  const openingMessages: UserMessage[] = [];
  const storeOptions: StoreOptions = {
    wasmDir: options.wasmDir,
    retention: retentionOrNone(settings.retention),
    storePromptText: settings.includePromptText,
    ...(options.onError ? { onError: options.onError } : {}),
  };
  // Each time this window begins to serve (at open, or taking over later): what the store found on
  // opening, then this workspace's earlier log imported before the learner is restored.
  const prepare = async (store: Store): Promise<void> => {
    const messages = store.notices.map((notice): UserMessage => ({ level: notice.level, text: `Decision log: ${notice.message}` }));
    if (store.staleLock !== undefined) {
      messages.push({ level: 'info', text: `Decision log: the previous session (process ${store.staleLock.pid}) ended without closing it; its acknowledged events were replayed from the journal.` });
    }
    if (options.workspaceLogDir !== undefined) {
      const result: WorkspaceImportResult = await importWorkspaceLog(store, options.workspaceLogDir, { wasmDir: options.wasmDir });
      workspaceLog.state = result.state;
      workspaceLog.imported = result.state === 'imported' ? result.report.imported : 0;
      messages.push(...workspaceImportMessages(result, store.dir));
    }
    if (opening) openingMessages.push(...messages);
    else if (messages.length > 0) options.tell(messages);
  };
  const clock = options.clock ?? { now: () => Date.now() };
  try {
    const connection = await connect(dir, {
      settings: options.serviceSettings ?? defaultServiceSettings(),
      open: { clock, store: storeOptions, prepare },
      kind: 'extension',
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      log: options.log,
    });
    opening = false;
    const service = connection.service;
    if (service !== undefined) {
      for (const notice of service.notices) openingMessages.push({ level: notice.level, text: `Learner: ${notice.message}` });
    } else if (options.workspaceLogDir !== undefined) {
      // Only the window that serves the user's log imports into it; this one will if it takes over.
      const waiting = await waitingWorkspaceLogMessages(options.workspaceLogDir);
      if (waiting.length > 0) workspaceLog.state = 'waiting';
      openingMessages.push(...waiting);
    }
    return { connection, messages: openingMessages, workspaceLog, storeOptions };
  } catch (error) {
    opening = false;
    return { connection: undefined, messages: [...openingMessages, unavailableMessage(dir, error)], workspaceLog, storeOptions };
  }
}

function unavailableMessage(dir: string, error: unknown): UserMessage {
  if (error instanceof StoreVersionError) return { level: 'error', text: `Decision log: ${error.message} ${degraded}` };
  if (error instanceof StoreLockedError || error instanceof ServiceUnavailableError) return { level: 'warning', text: `Decision log: ${error.message} ${degraded}` };
  const reason = error instanceof Error ? error.message : String(error);
  return { level: 'error', text: `Decision log: the store in ${dir} could not be opened (${reason}). Nothing in it was deleted. ${degraded}` };
}

/** Who serves, in the user's words: "this window", "another window (process 123)", "the command line (process 123)". */
export function describeServing(serving: ServingProcess): string {
  if (serving.thisProcess) return 'this window';
  return serving.kind === 'cli' ? `the command line (process ${serving.pid})` : `another window (process ${serving.pid})`;
}

const finiteOr = (x: number, fallback: number): number => (Number.isFinite(x) ? x : fallback);

/** The service's status as the sidebar shows it (src/shared/protocol.ts `learnerStatus`). */
export function learnerStatusOf(status: ServiceStatus, serving: ServingProcess): LearnerStatus {
  const estimate = (a: ArmEstimate): LearnerStatus['favoured'][number]['favoured'] => ({ armId: a.armId, mean: finiteOr(a.mean, 0), sd: Math.max(0, finiteOr(a.sd, 0)) });
  const learner: LearnerStatus = {
    servedBy: describeServing(serving),
    servedByThisWindow: serving.thisProcess,
    rolloutStatus: status.rolloutStatus,
    policyVersion: status.policyVersion,
    progress: {
      samples: status.progress.samples,
      minSamples: status.progress.minSamples,
      days: Math.max(0, finiteOr(status.progress.days, 0)),
      minDays: Math.max(0, finiteOr(status.progress.minDays, 0)),
    },
    decisions: status.decisions,
    outcomes: status.outcomes,
    pending: status.pending,
    incidents: status.incidents,
    favoured: status.favoured.map((f) => ({ taskType: f.taskType, favoured: estimate(f.favoured), baseline: estimate(f.baseline) })),
    budget: status.budget.map((b) => ({ taskType: b.taskType, daySpent: Math.max(0, Math.round(b.daySpent)), dayLimit: b.dayLimit === null || !Number.isFinite(b.dayLimit) ? null : Math.max(0, Math.round(b.dayLimit)) })),
    waivers: status.waivers.slice(0, 100).map((w) => ({ id: w.id, status: w.status, taskType: w.taskType, delta: w.delta, expiresAt: w.expiresAt })),
  };
  if (status.lastVerdict) learner.lastVerdict = { passed: status.lastVerdict.passed, summary: status.lastVerdict.summary.slice(0, 2000) };
  return learner;
}

// What the extension's planning commands use, loaded with the learner (none of it on the activation path).
export { runPlan, PlanArmsCache, ProviderHealth, PlanRefusedError } from '../planning/runPlan';
export type { PlanRun } from '../planning/runPlan';
export { readLearnerSettings } from './learnerSettings';
export type { LearnerSettingsInput } from './learnerSettings';
export { LlmError } from '../llm/provider';
export { ModelConstraints, parseModelConstraints, mapArm, wireName, modelFamily } from '../llm/modelConstraints';
export { createOpenAiCompatibleProvider } from '../llm/openaiCompatible';
export { createAnthropicProvider } from '../llm/anthropic';

/** A short, one-way fingerprint of an API key: tells keys apart without keeping the key in a cache's keys. */
export function keyFingerprint(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 12);
}
