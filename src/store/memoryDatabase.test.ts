// The live database: tables copied into SQLite's own memory, the connection's file left empty,
// images copied in and out whole (rows, indexes and the schema version).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { copyDatabase, exportLiveDatabase, liveSchema, openLiveDatabase } from './memoryDatabase';
import { migrate, readSchemaVersion, schemaVersion } from './schema';
import { loadSqlJs } from './sqlite';

const wasmDir = join(__dirname, '..', '..', 'node_modules', 'sql.js', 'dist');

test('a live database holds the image (copied 3 pages at a time) in memory, takes writes there, and exports an equal image', async () => {
  const SQL = await loadSqlJs(wasmDir);
  const image = new SQL.Database();
  migrate(image);
  image.run("INSERT INTO meta (key, value) VALUES ('last_seq', '7')");
  const live = await openLiveDatabase(SQL, image, { pagesPerStep: 3, pause: () => new Promise((resolve) => setImmediate(resolve)) });
  image.close();
  try {
    // Unqualified names resolve to the attached in-memory database; the file stays empty.
    assert.equal(live.exec("SELECT value FROM meta WHERE key = 'last_seq'")[0]?.values[0]?.[0], '7');
    assert.equal(live.exec(`PRAGMA ${liveSchema}.user_version`)[0]?.values[0]?.[0], schemaVersion);
    live.exec('BEGIN');
    const insert = live.prepare('INSERT INTO feature_sets (names) VALUES (?)');
    // About 20 MiB of rows: far past any size where a file would have grown several times.
    const padding = 'x'.repeat(2000);
    for (let i = 0; i < 10_000; i++) insert.run([`${i}:${padding}`]);
    insert.free();
    live.exec('COMMIT');
    const livePages = Number(live.exec(`PRAGMA ${liveSchema}.page_count`)[0]?.values[0]?.[0]);
    assert.ok(livePages * 4096 > 20e6, `live database is ${livePages} pages`);
    assert.equal(live.exec('PRAGMA main.page_count')[0]?.values[0]?.[0], 0, 'nothing is written to the file-backed main database');
    assert.equal(live.exec("SELECT COUNT(*) FROM main.sqlite_master")[0]?.values[0]?.[0], 0);

    const bytes = await exportLiveDatabase(SQL, live);
    assert.equal(bytes.byteLength, livePages * 4096);
    const reopened = new SQL.Database(bytes);
    try {
      assert.equal(readSchemaVersion(reopened), schemaVersion);
      assert.equal(reopened.exec('SELECT COUNT(*), SUM(LENGTH(names)) FROM feature_sets')[0]?.values[0]?.join(','), `10000,${10_000 * 2001 + 38_890}`);
      assert.equal(reopened.exec('PRAGMA quick_check')[0]?.values[0]?.[0], 'ok');
      assert.deepEqual(
        reopened.exec("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex%' ORDER BY name")[0]?.values.flat(),
        live.exec(`SELECT name FROM ${liveSchema}.sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex%' ORDER BY name`)[0]?.values.flat(),
      );
    } finally {
      reopened.close();
    }
  } finally {
    live.close();
  }
});

test('copying from or into a closed database is a clear error, not a crash', async () => {
  const SQL = await loadSqlJs(wasmDir);
  const open = new SQL.Database();
  const other = new SQL.Database();
  const closed = new SQL.Database();
  closed.close();
  try {
    await assert.rejects(copyDatabase(SQL, closed, 'main', open, 'main'), /the database is closed/);
    await assert.rejects(copyDatabase(SQL, open, 'main', closed, 'main'), /the database is closed/);
    await assert.rejects(copyDatabase(SQL, open, 'nowhere', other, 'main'), /cannot copy the database: unknown database nowhere/);
  } finally {
    open.close();
    other.close();
  }
});
