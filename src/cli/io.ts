/** Where a command writes; the real CLI passes the process streams, tests pass buffers. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /**
   * Asks the person at the terminal (on stderr, the answer a line of stdin); absent when stdin is
   * not a terminal. Resolves to undefined when no answer came within `timeoutMs`.
   */
  ask?(question: string, timeoutMs: number): Promise<string | undefined>;
}

/** An error the user can act on: printed as its message alone, with the given exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A CLI command: a one-line summary for the usage text and the function that runs it. */
export interface CliCommand {
  summary: string;
  run(args: readonly string[], io: CliIo): Promise<number>;
}
