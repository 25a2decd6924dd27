// `npm test`: everything a change must pass, in order of cost. Installs dependencies on first use.
import { ensureDependencies, runScript } from './ensureDeps.mjs';

ensureDependencies();
for (const step of ['lint', 'typecheck', 'build', 'test:unit']) runScript(step);
