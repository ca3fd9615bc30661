// Imported first by main.tsx: zod probes `new Function` when a schema is built (at import
// time of src/shared), and the CSP (script-src 'self') reports that probe as a violation.
import { z } from 'zod';

z.config({ jitless: true });
