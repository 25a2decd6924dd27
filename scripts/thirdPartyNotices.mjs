// The third-party notices shipped with the extension (dist/ThirdPartyNotices.txt): every package
// whose code the bundles hold (from esbuild's metafiles) and every package whose files are copied
// beside them (the sql.js WebAssembly, uPlot's stylesheet, the codicon font), each with its name,
// version, declared license and the text of its license files. The bundles drop the packages'
// legal comments, so this file is where their copyright and license notices go with the code.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The package a bundled input path belongs to (`node_modules/<name>` or `node_modules/@scope/<name>`, the innermost). */
export function packageOfInput(inputPath) {
  const parts = inputPath.split(/[\\/]/);
  const at = parts.lastIndexOf('node_modules');
  if (at < 0 || at + 1 >= parts.length) return undefined;
  const first = parts[at + 1];
  if (first.startsWith('@')) return at + 2 < parts.length ? { name: `${first}/${parts[at + 2]}`, dir: parts.slice(0, at + 3).join('/') } : undefined;
  return { name: first, dir: parts.slice(0, at + 2).join('/') };
}

/** The packages (name → folder relative to `root`) whose code the metafiles' outputs hold. */
export function bundledPackages(metafiles) {
  const found = new Map();
  for (const metafile of metafiles) {
    for (const output of Object.values(metafile.outputs)) {
      for (const [input, { bytesInOutput }] of Object.entries(output.inputs ?? {})) {
        if (bytesInOutput === 0) continue;
        const pkg = packageOfInput(input);
        if (pkg && !found.has(pkg.name)) found.set(pkg.name, pkg.dir);
      }
    }
  }
  return found;
}

/**
 * The notices text for `packages` (name → folder relative to `root`), sorted by name. Throws,
 * naming the package, when one has no license file: shipping it without its notice is not allowed.
 */
export function noticesText(root, packages, productName) {
  const sections = [];
  for (const [name, dir] of [...packages].sort(([a], [b]) => a.localeCompare(b))) {
    const folder = join(root, dir);
    const manifest = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8'));
    const licenseFiles = readdirSync(folder).filter((f) => /^licen[cs]e/i.test(f)).sort();
    if (licenseFiles.length === 0) throw new Error(`third-party notices: ${name} (${dir}) has no LICENSE file to ship with its code`);
    const declared = typeof manifest.license === 'string' ? manifest.license : (manifest.license?.type ?? 'see the license text');
    const texts = licenseFiles.map((f) => readFileSync(join(folder, f), 'utf8').replace(/^\uFEFF/, '').trim());
    sections.push([`${name} ${manifest.version} (${declared})`, ...(manifest.homepage ? [manifest.homepage] : []), '', texts.join('\n\n')].join('\n'));
  }
  const rule = '='.repeat(78);
  const head = `${productName} includes the following third-party software, each under its own license.\n`;
  return `${head}\n${sections.map((s) => `${rule}\n${s}\n`).join('\n')}`;
}

/** The folder of an installed package (for the packages whose files are copied, not bundled). */
export function packageDir(root, name) {
  const dir = join('node_modules', ...name.split('/'));
  if (!existsSync(join(root, dir, 'package.json'))) throw new Error(`third-party notices: ${name} is not installed in ${root}`);
  return dir;
}
