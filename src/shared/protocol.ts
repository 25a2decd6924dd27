/**
 * The typed protocol between the extension host and the Paramloop webviews. Each message is
 * declared once, with its direction and its zod schema; both sides import this file. The host parses
 * every inbound message with {@link parseWebviewMessage} before acting on it: the webview is
 * untrusted input.
 */
import { z } from 'zod';

import { rolloutPhases, taskTypes } from '../core/types';

/** Sent by the webview once its script has loaded; the host answers with a `status`. */
export const readyMessage = z.object({ type: z.literal('ready'), protocolVersion: z.literal(1) }).strict();

/** Sent by the webview when the user asks for a host command from the fixed list below. */
export const webviewCommands = ['paramloop.showLog', 'paramloop.openSettings', 'paramloop.openDashboard'] as const;
export const runCommandMessage = z
  .object({ type: z.literal('runCommand'), requestId: z.string().min(1).max(64), command: z.enum(webviewCommands) })
  .strict();

/** Every message a webview may send to the host. */
export const webviewToHostMessage = z.discriminatedUnion('type', [readyMessage, runCommandMessage]);
export type WebviewToHostMessage = z.infer<typeof webviewToHostMessage>;

const count = z.number().int().nonnegative();
const finite = z.number().finite();

/** An arm's expected reward as the learned policy sees it: posterior mean and standard deviation. */
const armEstimate = z.object({ armId: z.string(), mean: finite, sd: finite.nonnegative() }).strict();

/** The learner (the optimizer service) as the sidebar shows it; absent while none is reachable. */
export const learnerStatus = z
  .object({
    /** Who serves the learner, in words: this window, another window (process N), the command line (process N). */
    servedBy: z.string().max(200),
    servedByThisWindow: z.boolean(),
    /** Active, paused, or another rollout status. */
    rolloutStatus: z.string().max(40),
    policyVersion: count,
    /** Towards the next gate: samples (outcomes in shadow, learned outcomes after) and days. */
    progress: z.object({ samples: count, minSamples: count, days: finite.nonnegative(), minDays: finite.nonnegative() }).strict(),
    decisions: count,
    outcomes: count,
    /** Logged decisions waiting for their outcome. */
    pending: count,
    incidents: count,
    /** Per task type, for a typical request: the arm the learned policy favours, and the baseline arm. */
    favoured: z.array(z.object({ taskType: z.enum(taskTypes), favoured: armEstimate, baseline: armEstimate }).strict()).max(taskTypes.length),
    lastVerdict: z.object({ passed: z.boolean(), summary: z.string().max(2000) }).strict().optional(),
    /** Tokens spent today per task type, and the day's limit (null: none). */
    budget: z.array(z.object({ taskType: z.enum(taskTypes), daySpent: count, dayLimit: count.nullable() }).strict()).max(taskTypes.length),
    /** Waivers proposed or active. */
    waivers: z.array(z.object({ id: z.string().max(200), status: z.string().max(40), taskType: z.string().max(40), delta: count, expiresAt: finite }).strict()).max(100),
  })
  .strict();
export type LearnerStatus = z.infer<typeof learnerStatus>;

/** Sent by the host: what the sidebar shows. */
export const statusMessage = z
  .object({
    type: z.literal('status'),
    extensionVersion: z.string(),
    phase: z.enum(rolloutPhases),
    decisionsLogged: count,
    /** The decision log: opening, ready, or unavailable (then `detail` says why). */
    store: z.object({ state: z.enum(['opening', 'ready', 'unavailable']), detail: z.string().max(2000) }).strict(),
    learner: learnerStatus.optional(),
    note: z.string(),
  })
  .strict();

/** Sent by the host in reply to a `runCommand`, correlated by its request id. */
export const commandResultMessage = z
  .object({ type: z.literal('commandResult'), requestId: z.string(), ok: z.boolean(), error: z.string().optional() })
  .strict();

/** Every message the host may send to a webview. */
export const hostToWebviewMessage = z.discriminatedUnion('type', [statusMessage, commandResultMessage]);
export type HostToWebviewMessage = z.infer<typeof hostToWebviewMessage>;
export type StatusMessage = z.infer<typeof statusMessage>;

/** The outcome of validating an inbound message: the typed message, or a readable reason. */
export type ParseResult<T> = { ok: true; message: T } | { ok: false; error: string };

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(message)'}: ${issue.message}`)
    .join('; ');
}

/** Validates a message received from a webview. Never throws. */
export function parseWebviewMessage(raw: unknown): ParseResult<WebviewToHostMessage> {
  const result = webviewToHostMessage.safeParse(raw);
  return result.success ? { ok: true, message: result.data } : { ok: false, error: describeIssues(result.error) };
}

/** Validates a message received from the host (the webview side of the same contract). Never throws. */
export function parseHostMessage(raw: unknown): ParseResult<HostToWebviewMessage> {
  const result = hostToWebviewMessage.safeParse(raw);
  return result.success ? { ok: true, message: result.data } : { ok: false, error: describeIssues(result.error) };
}
