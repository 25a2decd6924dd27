// The README's images: each a PNG of the repository, linked by a relative path, so that it shows on
// the repository's pages (vsce rewrites the link to the repository's address in the packaged README),
// and none of them packaged into the .vsix (.vscodeignore, as `vsce ls` applies it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const images = [...readme.matchAll(/!\[([^\]]*)\]\(([^)\s]+)\)/g)].map((m) => ({ alt: m[1] ?? '', target: m[2] ?? '' }));

test('every image the README shows is a PNG under docs/images, linked by a relative path, described, at most 400 KB', () => {
  assert.ok(images.length >= 1, 'the README shows the dashboard');
  for (const { alt, target } of images) {
    assert.match(target, /^docs\/images\/[\w-]+\.png$/, target);
    const file = join(root, target);
    assert.ok(existsSync(file), `${target} is in the repository`);
    const bytes = readFileSync(file);
    assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], `${target} is a PNG`);
    assert.ok(statSync(file).size <= 400_000, `${target}: ${statSync(file).size} bytes`);
    assert.ok(alt.length >= 40, `${target} has alternative text saying what it shows`);
  }
});

test('the packaged extension leaves docs/ out and keeps the README (vsce ls)', () => {
  const vsce = join(root, 'node_modules', '.bin', 'vsce');
  const listed = spawnSync(vsce, ['ls', '--no-dependencies'], { cwd: root, encoding: 'utf8' });
  assert.equal(listed.status, 0, listed.stderr);
  const files = listed.stdout.split('\n').map((line) => line.trim()).filter((line) => line.length > 0);
  assert.ok(files.includes('README.md'), files.join(', '));
  assert.deepEqual(files.filter((f) => f.startsWith('docs/') || (f.endsWith('.png') && f !== 'media/icon.png')), []);
});
