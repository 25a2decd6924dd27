// System packages the harness needs and cannot install from npm: Debian's Chromium (the browser that
// opens the workbench) and the Kerberos headers (code-server's `kerberos` dependency compiles from
// source and includes gssapi/gssapi.h). Fonts make screenshots readable.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromiumPath } from './paths';

interface SystemRequirement {
  /** What must exist once the package is installed. */
  readonly file: string;
  readonly aptPackage: string;
  readonly why: string;
}

export const systemRequirements: readonly SystemRequirement[] = [
  { file: chromiumPath, aptPackage: 'chromium', why: 'the browser that drives the VS Code web workbench' },
  { file: '/usr/include/gssapi/gssapi.h', aptPackage: 'libkrb5-dev', why: "headers for code-server's native kerberos module" },
  { file: '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', aptPackage: 'fonts-dejavu-core', why: 'readable text in screenshots' },
];

/**
 * Installs the missing system packages with apt-get when running as root; otherwise throws an error
 * that names the command to run.
 */
export function ensureSystemPackages(): void {
  const missing = systemRequirements.filter((r) => !existsSync(r.file));
  if (missing.length === 0) return;
  const packages = missing.map((r) => r.aptPackage);
  const command = `apt-get install -y --no-install-recommends ${packages.join(' ')}`;
  if (process.getuid?.() !== 0) {
    const reasons = missing.map((r) => `  ${r.aptPackage}: ${r.why} (missing ${r.file})`).join('\n');
    throw new Error(`The VS Code test host needs system packages that are not installed:\n${reasons}\nInstall them with:\n  sudo apt-get update && sudo ${command}`);
  }
  console.log(`host: installing system packages: ${packages.join(', ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', ...packages]]) {
    const result = spawnSync('apt-get', args, { stdio: 'inherit', env });
    if (result.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed (exit ${String(result.status)})`);
  }
  const stillMissing = missing.filter((r) => !existsSync(r.file));
  if (stillMissing.length > 0) throw new Error(`apt-get did not provide: ${stillMissing.map((r) => r.file).join(', ')}`);
}
