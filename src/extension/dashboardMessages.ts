/**
 * The dashboard panel's inbound messages, without VS Code: each message the webview posts is handed
 * to the protocol's dispatcher (src/shared/dashboardRpc.ts), which validates it and answers it
 * exactly once; the reply is posted back. Nothing a webview sends can make this throw: a malformed
 * message gets an error reply (logged as a warning, at most 20 a minute one by one), a failed handler an error reply (logged as an
 * error), and a reply that cannot be posted (the panel closed meanwhile) is dropped.
 */
import { dashboardErrorCodes, dashboardMethodNames, type DashboardReply } from '../shared/dashboardProtocol';
import { createDashboardDispatcher, type DashboardHandlers } from '../shared/dashboardRpc';
import { throttledWarnings } from './throttledWarnings';

/** Where the panel's diagnostics go (the extension's log channel). */
export interface DashboardMessageLog {
  warn(message: string): void;
  error(message: string): void;
}

/** Answers each webview message with one reply sent through `post`; resolves once it is posted. */
export function createDashboardMessageHandler(
  handlers: () => Promise<DashboardHandlers>,
  post: (reply: DashboardReply) => unknown,
  log: DashboardMessageLog,
): (raw: unknown) => Promise<void> {
  const onHandlerError = (method: string, error: unknown): void => log.error(`Dashboard ${method}: ${error instanceof Error ? error.message : String(error)}`);
  const warnInvalid = throttledWarnings(log, 'invalid messages from the dashboard webview');
  return async (raw) => {
    let reply: DashboardReply;
    try {
      reply = await createDashboardDispatcher(await handlers(), { onHandlerError })(raw);
    } catch (error) {
      // Only the handlers' provider can fail here: answer with the id if the message has one.
      const id = typeof raw === 'object' && raw !== null && 'id' in raw && (typeof raw.id === 'number' || typeof raw.id === 'string') ? raw.id : null;
      reply = { type: 'reply', id, ok: false, error: { code: dashboardErrorCodes.failed, message: `the dashboard's data is unavailable: ${error instanceof Error ? error.message : String(error)}`.slice(0, 4000) } };
    }
    if (!reply.ok && reply.error.code !== dashboardErrorCodes.failed && reply.error.code !== dashboardErrorCodes.invalidResult) {
      warnInvalid(`Answered an invalid message from the dashboard webview with an error: ${reply.error.message}`);
    }
    try {
      await post(reply);
    } catch {
      // The panel went away before its answer: nobody is waiting.
    }
  };
}

/** Handlers that answer every request with the same failure (no learner: the log could not be opened). */
export function unavailableDashboardHandlers(reason: string): DashboardHandlers {
  const fail = (): never => {
    throw new Error(reason);
  };
  return Object.fromEntries(dashboardMethodNames.map((name) => [name, fail])) as unknown as DashboardHandlers;
}
