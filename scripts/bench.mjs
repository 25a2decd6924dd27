// `npm run bench`: bundles bench/index.ts with esbuild, as the extension and the CLI are bundled, so
// the figures are those of the code that ships (the dev loader's module getters would slow the hot
// loops), then runs it. Arguments pick sections: `npm run bench -- core ope`.
import * as esbuild from 'esbuild';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ensureDependencies, projectRoot } from './ensureDeps.mjs';

ensureDependencies();
const outfile = join(projectRoot, 'out', 'bench.mjs');
await esbuild.build({
  entryPoints: [join(projectRoot, 'bench', 'index.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: 'inline',
  logLevel: 'warning',
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
});
// The workers, bundled as the extension ships them (dist/storeWorker.js, dist/opeWorker.js), so that
// the benches do not compile TypeScript in each worker they start: the store's compaction worker and
// the dashboard's off-policy evaluation worker.
for (const [source, bundled] of [
  [join('src', 'store', 'compactWorker.ts'), 'storeWorker.js'],
  [join('src', 'service', 'opeWorker.ts'), 'opeWorker.js'],
]) {
  await esbuild.build({
    entryPoints: [join(projectRoot, source)],
    outfile: join(projectRoot, 'out', bundled),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
}
const result = spawnSync(process.execPath, ['--enable-source-maps', outfile, ...process.argv.slice(2)], { cwd: projectRoot, stdio: 'inherit' });
process.exit(result.status ?? 1);
