// For the store's tests: a fresh temporary folder, removed when the test ends.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function tempDir(t: { after(fn: () => Promise<void>): void }, prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `paramloop-${prefix}-`));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}
