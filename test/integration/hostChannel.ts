// The suite's side of the channel to the runner that drives the workbench: a request is a marker line
// on the console (`PARAMLOOP_REQUEST <id> <action> <args…>`), the answer a JSON file `<id>.json` the
// runner writes into the folder named by PARAMLOOP_HOST_CHANNEL. Under @vscode/test-electron there is
// no runner, and the channel is absent.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** How the extension under test was loaded; set by the runner in the server's environment. */
export type TestMode = 'development' | 'installed' | 'desktop';

export function testMode(): TestMode {
  const mode = process.env.PARAMLOOP_TEST_MODE;
  return mode === 'installed' || mode === 'development' ? mode : 'desktop';
}

/** True when a workbench runner is listening (code-server runs, not test-electron). */
export function hasRunner(): boolean {
  return Boolean(process.env.PARAMLOOP_HOST_CHANNEL);
}

let nextId = 1;

/** Asks the runner to do something the extension host cannot (look inside a webview, screenshot). */
export async function askRunner<T extends Record<string, unknown>>(action: string, args: string[] = [], timeoutMs = 45_000): Promise<T> {
  const channel = process.env.PARAMLOOP_HOST_CHANNEL;
  if (!channel) throw new Error('no workbench runner (PARAMLOOP_HOST_CHANNEL is not set)');
  const id = `r${process.pid}-${nextId++}`;
  console.log(['PARAMLOOP_REQUEST', id, action, ...args].join(' '));
  const file = join(channel, `${id}.json`);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as T;
    await sleep(100);
  }
  throw new Error(`the runner did not answer ${action} within ${timeoutMs / 1000} s`);
}
