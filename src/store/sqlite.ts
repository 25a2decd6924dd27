// Loads sql.js with its WebAssembly file taken from a folder the caller names: the extension and the
// CLI pass their own dist folder (the bundle copies sql-wasm.wasm there), tests pass
// node_modules/sql.js/dist. One module instance per folder, shared by every store of the process.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import initSqlJs from 'sql.js';
import type { SqlJsStatic } from 'sql.js';

const loaded = new Map<string, Promise<SqlJsStatic>>();

/** The file name sql.js asks for; the bundle copies it next to dist/extension.js and dist/cli.js. */
export const sqlWasmFileName = 'sql-wasm.wasm';

/** Loads (once per folder) the sql.js module whose `sql-wasm.wasm` lives in `wasmDir`. */
export function loadSqlJs(wasmDir: string): Promise<SqlJsStatic> {
  let pending = loaded.get(wasmDir);
  if (pending === undefined) {
    const wasmPath = join(wasmDir, sqlWasmFileName);
    if (!existsSync(wasmPath)) {
      return Promise.reject(new Error(`sql.js WebAssembly file not found: ${wasmPath}`));
    }
    pending = initSqlJs({ locateFile: (file: string) => join(wasmDir, file) });
    pending.catch(() => loaded.delete(wasmDir));
    loaded.set(wasmDir, pending);
  }
  return pending;
}

/**
 * The folder holding sql-wasm.wasm for code running from this repository or from a bundle: the
 * bundle's own folder when the file sits next to it, else the installed sql.js package.
 */
export function defaultWasmDir(bundleDir: string): string {
  if (existsSync(join(bundleDir, sqlWasmFileName))) return bundleDir;
  return dirname(require.resolve(`sql.js/dist/${sqlWasmFileName}`));
}
