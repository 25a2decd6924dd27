/**
 * Both ends of the dashboard's request protocol (dashboardProtocol.ts): the host's dispatcher, which
 * takes whatever a webview posts and always answers it exactly once, and the webview's client, which
 * pairs replies with requests by id and gives up on a request after a timeout. Browser-safe: no Node.
 */
import type { z } from 'zod';

import {
  dashboardErrorCodes,
  dashboardHostMessageSchema,
  dashboardMethods,
  isDashboardMethod,
  requestEnvelopeSchema,
  requestIdSchema,
  type DashboardErrorCode,
  type DashboardEvent,
  type DashboardMethodName,
  type DashboardParams,
  type DashboardParamsIn,
  type DashboardReply,
  type DashboardResult,
  type RequestId,
} from './dashboardProtocol';

/** The longest error message a reply carries (the schema's limit). */
const maxErrorChars = 4000;

/** What the host does for each request, given its validated params; may be asynchronous. */
export type DashboardHandlers = {
  [M in DashboardMethodName]: (params: DashboardParams<M>) => DashboardResult<M> | Promise<DashboardResult<M>>;
};

/** Zod issues as one line naming each field, e.g. `buckets: Too big: expected number to be <=200`. */
export function describeDashboardIssues(error: z.ZodError, root = '(message)'): string {
  return clip(error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.map(String).join('.') : root}: ${issue.message}`).join('; '));
}

function clip(message: string): string {
  return message.length <= maxErrorChars ? message : `${message.slice(0, maxErrorChars - 1)}…`;
}

function failure(id: RequestId | null, code: DashboardErrorCode, message: string): DashboardReply {
  return { type: 'reply', id, ok: false, error: { code, message: clip(message) } };
}

/** The id of a message that is not a valid request, when it carries a usable one. */
function recoverId(raw: unknown): RequestId | null {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || !Object.prototype.hasOwnProperty.call(raw, 'id')) return null;
  const parsed = requestIdSchema.safeParse((raw as { id: unknown }).id);
  return parsed.success ? parsed.data : null;
}

function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  try {
    return String(error);
  } catch {
    return 'an error that cannot be described';
  }
}

/** How the dispatcher reports a handler's failure to the host (its log), besides the error reply. */
export interface DispatcherOptions {
  onHandlerError?: (method: DashboardMethodName, error: unknown) => void;
}

/**
 * The host's side: a function that takes a raw message from a webview and resolves to its one reply.
 * It never rejects and never throws: a message that is not a request envelope (not an object, no id,
 * an unknown field), an unknown method or params outside the method's schema are answered with an
 * error naming what was wrong (with the request's id when one can be read, else `id: null`); a handler
 * that throws or rejects is answered with its message; a result outside the method's result schema
 * is not sent, an error naming the field is.
 */
export function createDashboardDispatcher(handlers: DashboardHandlers, options: DispatcherOptions = {}): (raw: unknown) => Promise<DashboardReply> {
  return async (raw) => {
    try {
      const envelope = requestEnvelopeSchema.safeParse(raw);
      if (!envelope.success) return failure(recoverId(raw), dashboardErrorCodes.invalidMessage, `not a dashboard request: ${describeDashboardIssues(envelope.error)}`);
      const { id, method: name } = envelope.data;
      if (!isDashboardMethod(name)) return failure(id, dashboardErrorCodes.unknownMethod, `unknown method "${name.slice(0, 64)}"`);
      return await dispatch(name, id, envelope.data.params ?? {}, handlers, options);
    } catch (error) {
      // Only a bug of this file lands here (zod and the handler are guarded); still an answer.
      return failure(recoverId(raw), dashboardErrorCodes.failed, `the request could not be handled: ${errorText(error)}`);
    }
  };
}

async function dispatch<M extends DashboardMethodName>(name: M, id: RequestId, rawParams: unknown, handlers: DashboardHandlers, options: DispatcherOptions): Promise<DashboardReply> {
  const definition = dashboardMethods[name];
  const params = definition.params.safeParse(rawParams);
  if (!params.success) return failure(id, dashboardErrorCodes.invalidParams, `${name}: ${describeDashboardIssues(params.error, '(params)')}`);
  let result: unknown;
  try {
    const handler = handlers[name] as (p: unknown) => unknown;
    result = await handler(params.data);
  } catch (error) {
    options.onHandlerError?.(name, error);
    return failure(id, dashboardErrorCodes.failed, `${name}: ${errorText(error)}`);
  }
  const checked = definition.result.safeParse(result);
  if (!checked.success) {
    const message = `${name} answered outside its result schema: ${describeDashboardIssues(checked.error, '(result)')}`;
    options.onHandlerError?.(name, new Error(message));
    return failure(id, dashboardErrorCodes.invalidResult, message);
  }
  return { type: 'reply', id, ok: true, result: checked.data };
}

/** A request the host refused or did not answer in time. */
export class DashboardRequestError extends Error {
  constructor(
    readonly code: DashboardErrorCode,
    readonly method: DashboardMethodName,
    message: string,
  ) {
    super(`${method}: ${message}`);
    this.name = 'DashboardRequestError';
  }
}

/** The webview's side. */
export interface DashboardClient {
  /** Asks the host; resolves to the validated result, rejects with a `DashboardRequestError`. */
  request<M extends DashboardMethodName>(method: M, params: DashboardParamsIn<M>, options?: { timeoutMs?: number }): Promise<DashboardResult<M>>;
  /**
   * Hands the client a message from the host. Returns false for a message outside the protocol
   * (the caller may log it); a reply nobody waits for (it came after its timeout) is dropped.
   */
  receive(raw: unknown): boolean;
  /** Listens for the host's events; returns the function that stops listening. */
  onEvent(listener: (event: DashboardEvent) => void): () => void;
  /** Requests still waiting for their reply. */
  readonly pending: number;
  /** Rejects every waiting request (the view is going away). */
  dispose(): void;
}

interface Waiting {
  method: DashboardMethodName;
  resolve(result: unknown): void;
  reject(error: DashboardRequestError): void;
  timer: ReturnType<typeof setTimeout>;
}

/** A client that sends with `post` (the webview's `postMessage` to the host). */
export function createDashboardClient(post: (message: unknown) => void, options: { timeoutMs?: number } = {}): DashboardClient {
  const defaultTimeout = options.timeoutMs ?? 15_000;
  const waiting = new Map<RequestId, Waiting>();
  const listeners = new Set<(event: DashboardEvent) => void>();
  let nextId = 1;
  let disposed = false;

  const settle = (id: RequestId | null): Waiting | undefined => {
    if (id === null) return undefined;
    const entry = waiting.get(id);
    if (entry === undefined) return undefined;
    waiting.delete(id);
    clearTimeout(entry.timer);
    return entry;
  };

  return {
    request<M extends DashboardMethodName>(method: M, params: DashboardParamsIn<M>, requestOptions: { timeoutMs?: number } = {}): Promise<DashboardResult<M>> {
      if (disposed) return Promise.reject(new DashboardRequestError(dashboardErrorCodes.failed, method, 'the dashboard was closed'));
      const checked = dashboardMethods[method].params.safeParse(params);
      if (!checked.success) return Promise.reject(new DashboardRequestError(dashboardErrorCodes.invalidParams, method, describeDashboardIssues(checked.error, '(params)')));
      const id = nextId++;
      return new Promise<DashboardResult<M>>((resolve, reject) => {
        const timeoutMs = requestOptions.timeoutMs ?? defaultTimeout;
        const timer = setTimeout(() => {
          if (settle(id)) reject(new DashboardRequestError(dashboardErrorCodes.timeout, method, `no answer within ${timeoutMs} ms`));
        }, timeoutMs);
        waiting.set(id, { method, resolve: resolve as (result: unknown) => void, reject, timer });
        try {
          post({ type: 'request', id, method, params: checked.data });
        } catch (error) {
          settle(id);
          reject(new DashboardRequestError(dashboardErrorCodes.failed, method, `could not be sent: ${errorText(error)}`));
        }
      });
    },
    receive(raw) {
      const parsed = dashboardHostMessageSchema.safeParse(raw);
      if (!parsed.success) return false;
      const message = parsed.data;
      if (message.type === 'event') {
        for (const listener of listeners) listener(message);
        return true;
      }
      const entry = settle(message.id);
      if (entry === undefined) return true;
      if (!message.ok) {
        entry.reject(new DashboardRequestError(message.error.code, entry.method, message.error.message));
        return true;
      }
      const result = dashboardMethods[entry.method].result.safeParse(message.result);
      if (result.success) entry.resolve(result.data);
      else entry.reject(new DashboardRequestError(dashboardErrorCodes.invalidResult, entry.method, describeDashboardIssues(result.error, '(result)')));
      return true;
    },
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    get pending() {
      return waiting.size;
    },
    dispose() {
      disposed = true;
      for (const id of [...waiting.keys()]) {
        const entry = settle(id);
        entry?.reject(new DashboardRequestError(dashboardErrorCodes.failed, entry.method, 'the dashboard was closed'));
      }
      listeners.clear();
    },
  };
}
