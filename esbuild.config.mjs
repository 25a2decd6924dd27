// Builds the bundles: the extension (Node CJS, `vscode` external), the decision log it loads after
// activation, the store's snapshot worker, the CLI (Node CJS with a shebang, the package's `bin`)
// the sidebar webview and the dashboard panel (browser IIFEs). The sql.js WebAssembly file
// is copied next to the Node bundles, which load it from their own folder.
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync, chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { englishZodLocales } from './scripts/esbuildPlugins.mjs';
import { bundledPackages, noticesText, packageDir } from './scripts/thirdPartyNotices.mjs';

const root = dirname(fileURLToPath(import.meta.url));
const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;

/** @type {import('esbuild').BuildOptions} */
const common = {
  bundle: true,
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
  legalComments: 'none',
  // Which packages each bundle holds: their notices go into dist/ThirdPartyNotices.txt.
  metafile: true,
  define: { __PARAMLOOP_VERSION__: JSON.stringify(version) },
};

const builds = [
  {
    ...common,
    entryPoints: [join(root, 'src/extension/extension.ts')],
    outfile: join(root, 'dist/extension.js'),
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
  },
  {
    ...common,
    entryPoints: [join(root, 'src/cli/main.ts')],
    outfile: join(root, 'dist/cli.js'),
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
  },
  {
    // The learner (the optimizer service, its socket, the store and sql.js's glue), which the
    // extension loads after activation so that none of it is parsed on the activation path.
    ...common,
    entryPoints: [join(root, 'src/service/session.ts')],
    outfile: join(root, 'dist/decisionLog.js'),
    platform: 'node',
    format: 'cjs',
    target: 'node20',
  },
  {
    // The dashboard's off-policy evaluations (src/service/opeRunner.ts finds it next to the bundle).
    ...common,
    entryPoints: [join(root, 'src/service/opeWorker.ts')],
    outfile: join(root, 'dist/opeWorker.js'),
    platform: 'node',
    format: 'cjs',
    target: 'node20',
  },
  {
    // The store's snapshot worker (src/store/compactor.ts finds it next to the bundle).
    ...common,
    entryPoints: [join(root, 'src/store/compactWorker.ts')],
    outfile: join(root, 'dist/storeWorker.js'),
    platform: 'node',
    format: 'cjs',
    target: 'node20',
  },
  {
    ...common,
    entryPoints: [join(root, 'webview/main.ts')],
    outfile: join(root, 'dist/webview/main.js'),
    plugins: [englishZodLocales],
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
  },
  {
    // The dashboard panel (uPlot bundled in; its stylesheet and the codicon font are copied below).
    ...common,
    entryPoints: [join(root, 'webview/dashboard.ts')],
    outfile: join(root, 'dist/webview/dashboard.js'),
    plugins: [englishZodLocales],
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
  },
];

function copyAssets() {
  mkdirSync(join(root, 'dist/webview'), { recursive: true });
  copyFileSync(join(root, 'node_modules/sql.js/dist/sql-wasm.wasm'), join(root, 'dist/sql-wasm.wasm'));
  copyFileSync(join(root, 'media/webview.css'), join(root, 'dist/webview/main.css'));
  copyFileSync(join(root, 'media/dashboard.css'), join(root, 'dist/webview/dashboard.css'));
  copyFileSync(join(root, 'node_modules/uplot/dist/uPlot.min.css'), join(root, 'dist/webview/uPlot.min.css'));
  copyFileSync(join(root, 'node_modules/@vscode/codicons/dist/codicon.css'), join(root, 'dist/webview/codicon.css'));
  copyFileSync(join(root, 'node_modules/@vscode/codicons/dist/codicon.ttf'), join(root, 'dist/webview/codicon.ttf'));
  chmodSync(join(root, 'dist/cli.js'), 0o755);
}

/** Packages whose files are copied beside the bundles (copyAssets), not bundled. */
const copiedPackages = ['sql.js', 'uplot', '@vscode/codicons'];

function writeNotices(metafiles) {
  const packages = bundledPackages(metafiles);
  for (const name of copiedPackages) if (!packages.has(name)) packages.set(name, packageDir(root, name));
  writeFileSync(join(root, 'dist/ThirdPartyNotices.txt'), noticesText(root, packages, 'Paramloop'));
}

if (watch) {
  const contexts = await Promise.all(builds.map((b) => esbuild.context(b)));
  const results = await Promise.all(contexts.map((c) => c.rebuild()));
  copyAssets();
  writeNotices(results.map((r) => r.metafile));
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  rmSync(join(root, 'dist'), { recursive: true, force: true });
  const results = await Promise.all(builds.map((b) => esbuild.build(b)));
  copyAssets();
  writeNotices(results.map((r) => r.metafile));
}
