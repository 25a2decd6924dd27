// The store's folder: a path that cannot hold a store is refused at once, with the path the user
// gave in the message; missing parents are created.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { prepareStoreFolder, StoreFolderError } from './folder';
import { openStore } from './store';
import { tempDir } from './testing/tempDir';

const wasmDir = join(__dirname, '..', '..', 'node_modules', 'sql.js', 'dist');

test('opening a store on a path that is a file is refused, for writing and read-only, naming the path', async (t) => {
  const dir = await tempDir(t, 'folder');
  const file = join(dir, 'notes.txt');
  await writeFile(file, 'not a store\n');
  for (const readOnly of [false, true]) {
    await assert.rejects(openStore(file, { wasmDir, readOnly }), (error: unknown) => {
      assert.ok(error instanceof StoreFolderError, String(error));
      assert.equal(error.message, `${file} is a file, not a folder: a store is a folder (give a folder path)`);
      return true;
    });
  }
});

test('a store folder under a file names the file that is in the way', async (t) => {
  const dir = await tempDir(t, 'folder');
  const file = join(dir, 'notes.txt');
  await writeFile(file, 'x');
  await assert.rejects(prepareStoreFolder(join(file, 'logs'), false), (error: unknown) => {
    assert.ok(error instanceof StoreFolderError);
    assert.match(error.message, new RegExp(`^cannot use ${join(file, 'logs')} as the store's folder: ${file} is a file, not a folder$`));
    return true;
  });
});

test('a store whose folder cannot be created (under /proc) fails at once instead of retrying for ever', { skip: !existsSync('/proc/self'), timeout: 10_000 }, async () => {
  const started = performance.now();
  const dir = '/proc/paramloop-test/logs';
  await assert.rejects(openStore(dir, { wasmDir }), (error: unknown) => {
    assert.ok(error instanceof StoreFolderError);
    assert.equal(error.message, `cannot create the store's folder ${dir}: /proc does not accept new folders`);
    return true;
  });
  assert.ok(performance.now() - started < 2000, 'failed fast');
});

test('missing parents are created, one level at a time', async (t) => {
  const dir = await tempDir(t, 'folder');
  const nested = join(dir, 'a', 'b', 'c');
  await prepareStoreFolder(nested, false);
  assert.ok(statSync(nested).isDirectory());
  // Read-only never creates anything.
  const untouched = join(dir, 'x', 'y');
  await prepareStoreFolder(untouched, true);
  assert.equal(existsSync(join(dir, 'x')), false);
});
