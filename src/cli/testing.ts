// For the CLI's tests: runs a command in-process and captures what it writes.
import { runCli } from './main';

/** Runs `paramloop <args>` in this process; resolves to its exit code and what it printed. */
export async function runCaptured(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, { stdout: (t) => (out += t), stderr: (t) => (err += t) });
  return { code, out, err };
}
