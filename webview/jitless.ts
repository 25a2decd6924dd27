// zod compiles object parsers with `new Function` when eval is allowed, and probes for it when the
// first object schema is created. The webview's CSP forbids eval, so the probe would be reported as a
// policy violation. Imported before any schema exists, this turns compilation (and the probe) off.
import { z } from 'zod';

z.config({ jitless: true });
