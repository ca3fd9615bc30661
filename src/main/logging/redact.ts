/**
 * Secrets never reach a log line: Hugging Face tokens, bearer tokens, `token=` query
 * values (the headless server's link), and any exact secret the app registers (the
 * token in use, the server token) even if it has no recognisable shape.
 */
const PATTERNS: ReadonlyArray<[RegExp, string]> = [
  [/\bhf_[A-Za-z0-9]{8,}\b/g, 'hf_[redacted]'],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, '$1 [redacted]'],
  [/([?&](?:token|access_token)=)[^&\s"']+/gi, '$1[redacted]'],
];

const SECRET_KEYS = /^(token|hfToken|authorization|cookie|password|secret|serverToken)$/i;

export class Redactor {
  private readonly secrets = new Set<string>();

  /** Exact strings to hide wherever they appear; short ones would hide ordinary words. */
  addSecret(secret: string | null | undefined): void {
    if (secret && secret.length >= 8) this.secrets.add(secret);
  }

  text(s: string): string {
    let out = s;
    for (const secret of this.secrets) out = out.split(secret).join('[redacted]');
    for (const [re, to] of PATTERNS) out = out.replace(re, to);
    return out;
  }

  /** A copy of a log object with every string redacted and secret-named keys blanked. */
  value(v: unknown, depth = 0): unknown {
    if (typeof v === 'string') return this.text(v);
    if (depth > 8 || v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map((x) => this.value(x, depth + 1));
    if (v instanceof Error) return { type: v.name, message: this.text(v.message), stack: v.stack ? this.text(v.stack) : undefined };
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = SECRET_KEYS.test(k) && x !== null && typeof x !== 'boolean' && typeof x !== 'object' ? '[redacted]' : this.value(x, depth + 1);
    return out;
  }
}
