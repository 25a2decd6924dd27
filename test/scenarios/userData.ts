// What the scenarios read and write in a session's user data: where the user's decision log lives,
// and per-workspace logs as earlier versions of Paramloop wrote them.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openStore } from '../../src/store/store';
import { logSynthetic } from '../../src/store/testing/synthetic';
import { projectRoot } from '../host/paths';
import type { WindowSession } from '../host/windows';

const wasmDir = join(projectRoot, 'node_modules', 'sql.js', 'dist');

/** Where Paramloop keeps the user's decision log in the server's user data. */
export function userLogDir(session: WindowSession): string {
  return join(session.userDataDir, 'User', 'globalStorage', 'paramloop.paramloop', 'decision-log');
}

/** The process holding the store lock of `dir`, if any. */
export function lockHolder(dir: string): number | undefined {
  const file = join(dir, 'store.lock');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { pid: number }).pid : undefined;
}

/** Writes synthetic decisions first..last (with outcomes) into a store in `dir`, as an earlier version did. */
export async function writeOldLog(dir: string, first: number, last: number): Promise<void> {
  const store = await openStore(dir, { wasmDir, compactionWorker: false });
  await logSynthetic(store, first, last);
  await store.close();
}
