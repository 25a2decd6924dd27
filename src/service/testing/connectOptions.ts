// Connect options for the in-process socket tests: the simulated planning environment's space, a
// clock the test moves, the store's WebAssembly from node_modules.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePolicySettings } from '../../core/policies';
import { parseRewardSettings } from '../../core/reward';
import { createLlmPlanningEnvironment } from '../../sim/llmPlanning';
import type { ConnectOptions } from '../connect';

export const wasmDir = join(__dirname, '..', '..', '..', 'node_modules', 'sql.js', 'dist');
export const environment = createLlmPlanningEnvironment();

/** Options for `connect` in a test; `clock.t` is the time every service opened with them sees. */
export function testConnectOptions(clock: { t: number }, extra: Partial<ConnectOptions> = {}): ConnectOptions {
  return {
    settings: {
      space: environment.space,
      policyKind: 'thompson',
      policySettings: parsePolicySettings({}),
      rewardSettings: parseRewardSettings({}),
      // Unlimited budgets: the status then carries Infinity, which the wire must keep.
      guarded: { budget: { defaultLimits: { daily: null, weekly: null } } },
    },
    open: { clock: { now: () => clock.t }, store: { wasmDir } },
    kind: 'extension',
    rehearse: false,
    timeoutMs: 5000,
    ...extra,
  };
}

/** Something a test opens and must close before its folder goes. */
interface Closable {
  close(): Promise<void>;
}

/**
 * A fresh temporary folder for a test, and `keep`, which registers what the test opens in it: when
 * the test ends, everything kept is closed (last first), then the folder is removed.
 */
export async function socketTestDir(t: { after(fn: () => Promise<void>): void }, prefix: string): Promise<{ dir: string; keep<T extends Closable>(opened: T): T }> {
  const dir = await mkdtemp(join(tmpdir(), `paramloop-${prefix}-`));
  const kept: Closable[] = [];
  t.after(async () => {
    for (const opened of kept.reverse()) await opened.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });
  return {
    dir,
    keep(opened) {
      kept.push(opened);
      return opened;
    },
  };
}
