// For the CLI's tests: runs a command in-process and captures what it writes.
import type { CliIo } from './io';
import { runCli } from './main';

/**
 * Runs `paramloop <args>` in this process; resolves to its exit code and what it printed. `ask`
 * stands in for the terminal; `onStderr` sees stderr as it is written.
 */
export async function runCaptured(args: string[], options: Pick<CliIo, 'ask'> & { onStderr?: (text: string) => void } = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, {
    stdout: (t) => (out += t),
    stderr: (t) => {
      err += t;
      options.onStderr?.(t);
    },
    ...(options.ask ? { ask: options.ask } : {}),
  });
  return { code, out, err };
}
