// `npm run test:webview`: runs the webview specifications with Node's test runner (spec reporter) and
// closes with `webview: N passed, N failed`. Builds the bundle first when dist/webview is missing, and
// installs Chromium when it is missing (as root; otherwise it says what to install).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import { projectRoot } from '../host/paths';
import { ensureSystemPackages } from '../host/prerequisites';
import { dashboardBundle, webviewBundle } from './webviewPage';

async function main(): Promise<number> {
  ensureSystemPackages();
  if (!existsSync(webviewBundle) || !existsSync(dashboardBundle)) {
    const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: projectRoot, stdio: 'inherit' });
    if (build.status !== 0) return 1;
  }
  let passed = 0;
  let failed = 0;
  const stream = run({ files: [join(projectRoot, 'test/webview/webview.test.ts'), join(projectRoot, 'test/webview/dashboard.test.ts')], concurrency: 1, timeout: 120_000 });
  stream.on('test:pass', (event: { details: { type?: string } }) => {
    if (event.details.type !== 'suite') passed++;
  });
  stream.on('test:fail', (event: { details: { type?: string } }) => {
    if (event.details.type !== 'suite') failed++;
  });
  const report = stream.compose(new spec());
  const finished = new Promise<void>((resolve) => report.on('end', resolve));
  report.pipe(process.stdout, { end: false });
  await finished;
  // A file that fails to load reports itself as one failed test, so a broken run never reads as green.
  console.log(`webview: ${passed} passed, ${failed} failed`);
  return failed > 0 || passed === 0 ? 1 : 0;
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    console.error(error);
    console.log('webview: 0 passed, 1 failed');
    process.exitCode = 1;
  },
);
