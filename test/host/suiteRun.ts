// One run of a test module in code-server: start a server (with the environment the suite reads),
// open the workbench, run, stop everything. Shared by the integration tests, the extension benchmark
// and `npm start`'s preparation of an installed extension.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { installExtension, makeTempDir, startCodeServer } from './codeServer';
import type { HostInstall } from './install';
import { projectRoot, screenshotsDir, simLanguageModelExtension, vsixPath } from './paths';
import type { WorkbenchRunResult } from './workbenchWindow';
import { runInWorkbench } from './workbenchWindow';

export type SuiteMode = 'installed' | 'development';

export interface SuiteRunOptions {
  readonly host: HostInstall;
  readonly mode: SuiteMode;
  /** Absolute path of the bundled test module. */
  readonly testsPath: string;
  readonly label: string;
  /** For installed mode: the extensions folder the .vsix was installed into. */
  readonly extensionsDir?: string;
  readonly timeoutMs?: number;
  readonly echoLog?: boolean;
  /**
   * Load the test language model (test/fixtures/simLanguageModel, see `simLanguageModelExtension`)
   * beside the extension under test: in installed mode it is the development extension (in place of
   * the empty driver); in development mode, where Paramloop is the development extension, it is
   * packaged and installed into the run's extensions folder. (The web workbench takes one
   * development extension: given several `extensionDevelopmentPath`s, only the last one loads.)
   */
  readonly withTestLanguageModel?: boolean;
  /** Runs only the tests whose full title matches this (mocha's grep; PARAMLOOP_TEST_GREP in the host). */
  readonly grep?: string;
}

/** Runs an npm script of the project, throwing on failure. */
export function npmRun(script: string): void {
  const started = Date.now();
  const result = spawnSync('npm', ['run', '--silent', script], { cwd: projectRoot, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`npm run ${script} failed (exit ${String(result.status)})`);
  console.log(`host: npm run ${script} took ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** Packages the extension (`npm run package`) and installs the .vsix into a fresh extensions folder. */
export function packageAndInstall(host: HostInstall): string {
  npmRun('package');
  const extensionsDir = makeTempDir('paramloop-extensions-');
  const started = Date.now();
  installExtension(host, vsixPath, extensionsDir);
  console.log(`host: installed ${vsixPath} into ${extensionsDir} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return extensionsDir;
}

/** A small folder opened as the workspace, so the workbench does not watch the whole project. */
export function sampleWorkspace(name = 'sample'): string {
  const dir = join(makeTempDir('paramloop-workspace-'), name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'PLAN.md'), '# Sample workspace\n\nA folder for trying Paramloop planning commands.\n');
  return dir;
}

/**
 * An empty extension to stand in as `extensionDevelopmentPath` when testing installed extensions: the
 * workbench runs `extensionTestsPath` only in an extension development host, and this one contributes
 * nothing, so the extension under test is the one from the extensions folder.
 */
export function testDriverExtension(): string {
  const dir = join(makeTempDir('paramloop-driver-'), 'driver');
  mkdirSync(dir, { recursive: true });
  const manifest = { name: 'paramloop-test-driver', publisher: 'paramloop-test', version: '0.0.0', engines: { vscode: '*' } };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return dir;
}

let testLanguageModelVsix: string | undefined;

/** Packages the test language model (once per run of the runner) and installs it into a fresh extensions folder. */
export function extensionsWithTestLanguageModel(host: HostInstall): string {
  if (!testLanguageModelVsix) {
    const vsix = join(makeTempDir('paramloop-sim-lm-'), 'paramloop-sim-language-model.vsix');
    const result = spawnSync(join(projectRoot, 'node_modules', '.bin', 'vsce'), ['package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '--out', vsix], {
      cwd: simLanguageModelExtension,
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
    });
    if (result.status !== 0) throw new Error(`packaging ${simLanguageModelExtension} failed (exit ${String(result.status)}):\n${result.stdout}\n${result.stderr}`);
    testLanguageModelVsix = vsix;
  }
  const extensionsDir = makeTempDir('paramloop-extensions-');
  installExtension(host, testLanguageModelVsix, extensionsDir);
  return extensionsDir;
}

/** Starts code-server, runs the test module in the workbench, stops the server. */
export async function runSuite(options: SuiteRunOptions): Promise<WorkbenchRunResult> {
  const channelDir = makeTempDir('paramloop-channel-');
  if (options.mode === 'installed' && !options.extensionsDir) throw new Error('installed mode needs the extensions folder');
  // Development mode with the test language model: a fresh extensions folder holding it (and not the
  // installed .vsix, which the project folder stands for in this mode).
  const extensionsDir = options.withTestLanguageModel && options.mode === 'development' ? extensionsWithTestLanguageModel(options.host) : options.extensionsDir;
  const server = await startCodeServer(options.host, {
    ...(extensionsDir ? { extensionsDir } : {}),
    env: {
      PARAMLOOP_HOST_CHANNEL: channelDir,
      PARAMLOOP_TEST_MODE: options.mode,
      ...(options.extensionsDir ? { PARAMLOOP_TEST_EXTENSIONS_DIR: options.extensionsDir } : {}),
      ...(options.grep ? { PARAMLOOP_TEST_GREP: options.grep } : {}),
    },
  });
  console.log(`host: code-server (${options.label}) listening on ${server.origin}`);
  try {
    return await runInWorkbench({
      server,
      label: options.label,
      extensionTestsPath: options.testsPath,
      // The workbench takes several development extensions; the one under test comes first.
      extensionDevelopmentPath: options.mode === 'development' ? projectRoot : options.withTestLanguageModel ? simLanguageModelExtension : testDriverExtension(),
      folder: sampleWorkspace(),
      channelDir,
      screenshotsDir,
      // The whole suite takes about 2 minutes on 2 cores; room for a busy machine.
      timeoutMs: options.timeoutMs ?? 300_000,
      ...(options.echoLog === undefined ? {} : { echoLog: options.echoLog }),
    });
  } finally {
    await server.stop();
  }
}
