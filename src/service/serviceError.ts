/**
 * An operation of the optimizer service refused or failed, with the JSON-RPC code that says why
 * (protocol.ts `errorCodes`): the same error whether the operation ran in this process or in the
 * serving process across the socket.
 */
export class ServiceError extends Error {
  constructor(
    message: string,
    readonly code: number,
    /** The operation's JSON-RPC method, when the error came from one. */
    readonly method?: string,
  ) {
    super(message);
    this.name = 'ServiceError';
  }
}

/** No process serves the store and this one could not either (the message says why). */
export class ServiceUnavailableError extends Error {
  constructor(
    readonly dir: string,
    reason: string,
  ) {
    super(`The optimizer service for ${dir} is unavailable: ${reason}.`);
    this.name = 'ServiceUnavailableError';
  }
}
