// Entry of the integration suite inside the extension host (`extensionTestsPath`): runs the mocha
// specifications bundled with it and settles when they are done; the workbench then exits with the
// suite's code. The closing `PARAMLOOP_RESULT` line carries the counts for the runner's summary.
import Mocha from 'mocha';

export async function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 60_000, reporter: 'spec' });
  // `runIntegration.ts --grep PATTERN`: only the tests whose full title matches, in any case.
  if (process.env.PARAMLOOP_TEST_GREP) mocha.grep(new RegExp(process.env.PARAMLOOP_TEST_GREP, 'i'));
  // Bundled specs register through the globals mocha installs for a file being loaded.
  mocha.suite.emit('pre-require', globalThis, 'extension.test', mocha);
  await import('./extension.test');
  mocha.suite.emit('pre-require', globalThis, 'planning.test', mocha);
  await import('./planning.test');
  mocha.suite.emit('pre-require', globalThis, 'languageModel.test', mocha);
  await import('./languageModel.test');
  // Last: its session of plans adds to the log the tests above read.
  mocha.suite.emit('pre-require', globalThis, 'dashboard.test', mocha);
  await import('./dashboard.test');
  const stats = await new Promise<Mocha.Stats>((resolve) => {
    const runner = mocha.run(() => resolve(runner.stats ?? { passes: 0, failures: 1, pending: 0 } as Mocha.Stats));
  });
  console.log(`PARAMLOOP_RESULT passed=${stats.passes} failed=${stats.failures} pending=${stats.pending}`);
  if (stats.failures > 0) throw new Error(`${stats.failures} integration test(s) failed`);
}
