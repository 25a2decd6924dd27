// Where the host harness keeps things. Everything it installs lives under the project's git-ignored
// `.cache/`, so a second run on the same checkout reuses it and a fresh clone installs it again.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project folder (the one holding package.json). */
export const projectRoot = fileURLToPath(new URL('../..', import.meta.url));

/** Installed test tools: Node 24 and code-server. */
export const cacheDir = join(projectRoot, '.cache');

/** Screenshots taken during integration runs (test-results/ is git-ignored). */
export const screenshotsDir = join(projectRoot, 'test-results', 'screenshots');

/**
 * A test-only extension (plain JS, not part of Paramloop's package) that puts a language model into
 * VS Code's Language Model API, answering through the test simulator; the suite runs load it beside
 * Paramloop (see `SuiteRunOptions.withTestLanguageModel`).
 */
export const simLanguageModelExtension = join(projectRoot, 'test', 'fixtures', 'simLanguageModel');

/** The packaged extension written by `npm run package`. */
export const vsixPath = join(projectRoot, 'paramloop.vsix');

/** Debian's Chromium, the browser that drives code-server's web workbench. */
export const chromiumPath = '/usr/bin/chromium';
