// Keeps track of every process group and temporary folder the harness starts, and removes them when
// the runner ends in any way: normal exit, Ctrl-C, SIGTERM, or an uncaught error. A test run must
// never leave a code-server or a Chromium behind.
import { rmSync } from 'node:fs';

const processGroups = new Set<number>();
const folders = new Set<string>();
let installed = false;
let gracefulStop: ((signal: NodeJS.Signals) => Promise<number>) | undefined;
let stopping = false;

/**
 * For a long-running process (`npm start`): on SIGINT, SIGTERM or SIGHUP, run `stop` (which stops the
 * children gently and resolves with the exit code) before the forced cleanup, instead of killing
 * them outright. A second signal while it runs forces the cleanup at once.
 */
export function onStopSignal(stop: (signal: NodeJS.Signals) => Promise<number>): void {
  installHandlers();
  gracefulStop = stop;
}

/** Registers a detached child's process group, to be killed if the runner ends before it does. */
export function trackProcessGroup(pid: number): void {
  installHandlers();
  processGroups.add(pid);
}

export function untrackProcessGroup(pid: number): void {
  processGroups.delete(pid);
}

/** Registers a temporary folder, removed when the runner ends. */
export function trackFolder(path: string): void {
  installHandlers();
  folders.add(path);
}

/** Sends `signal` to the whole group of `pid`; returns false when the group no longer exists. */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Kills every tracked group at once and removes the tracked folders; synchronous, safe in 'exit'. */
export function cleanupNow(): void {
  for (const pid of processGroups) signalGroup(pid, 'SIGKILL');
  processGroups.clear();
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  folders.clear();
}

function installHandlers(): void {
  if (installed) return;
  installed = true;
  process.on('exit', cleanupNow);
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    process.on(signal, () => {
      if (gracefulStop && !stopping) {
        stopping = true;
        const stop = gracefulStop;
        void stop(signal).then(
          (exitCode) => {
            cleanupNow();
            process.exit(exitCode);
          },
          (error: unknown) => {
            console.error('host: stopping failed:', error);
            cleanupNow();
            process.exit(1);
          },
        );
        return;
      }
      console.error(`\nhost: ${signal} received, stopping the test host`);
      cleanupNow();
      process.exit(code);
    });
  }
  process.on('uncaughtException', (error) => {
    console.error('host: uncaught error:', error);
    cleanupNow();
    process.exit(1);
  });
  process.on('unhandledRejection', (reason) => {
    console.error('host: unhandled rejection:', reason);
    cleanupNow();
    process.exit(1);
  });
}
