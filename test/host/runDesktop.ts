// `npm run test:desktop`: the same integration suite in desktop VS Code through @vscode/test-electron,
// for machines that can download VS Code (CI cannot, and runs the code-server modes instead). On Linux
// without a display, run it under xvfb-run. VSCODE_TEST_VERSION picks the VS Code version (default
// stable). Without a workbench runner the suite skips the checks that look inside the webview.
import { runTests } from '@vscode/test-electron';
import { join } from 'node:path';
import { buildIntegrationBundles } from './buildSuite';
import { projectRoot } from './paths';
import { npmRun, sampleWorkspace } from './suiteRun';

async function main(): Promise<number> {
  const testsPath = join(await buildIntegrationBundles(), 'index.js');
  npmRun('build');
  const exitCode = await runTests({
    version: process.env.VSCODE_TEST_VERSION ?? 'stable',
    extensionDevelopmentPath: projectRoot,
    extensionTestsPath: testsPath,
    extensionTestsEnv: { PARAMLOOP_TEST_MODE: 'desktop' },
    launchArgs: [sampleWorkspace(), '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes'],
  });
  console.log(`host: desktop VS Code exited with ${exitCode}`);
  return exitCode;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
