// `npm test`: everything a change must pass, in order of cost. Installs dependencies on first use.
// The webview tests need Debian's Chromium and the integration tests a code-server under .cache/;
// both install themselves on first use (system packages with apt-get when run as root).
import { ensureDependencies, runScript } from './ensureDeps.mjs';

ensureDependencies();
for (const step of ['lint', 'typecheck', 'build', 'test:unit', 'test:webview', 'test:integration']) runScript(step);
