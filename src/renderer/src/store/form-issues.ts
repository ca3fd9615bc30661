/**
 * Schema issues as form-field errors. The forms validate with the shared zod schemas and
 * the backend rejects bad input with the same issues in `details.issues`
 * (`[{ path: 'a.b', message }]`), so both land on fields through one mapping.
 */
export interface FormIssue {
  path: readonly PropertyKey[];
  message: string;
}

/** The issues a rejected command carries in its details; malformed entries are skipped. */
export function issuesFromDetails(details: Record<string, unknown>): FormIssue[] {
  const issues = details['issues'];
  if (!Array.isArray(issues)) return [];
  const out: FormIssue[] = [];
  for (const issue of issues as unknown[]) {
    if (typeof issue !== 'object' || issue === null) continue;
    const { path, message } = issue as { path?: unknown; message?: unknown };
    if (typeof path !== 'string' || typeof message !== 'string') continue;
    out.push({ path: path === '' ? [] : path.split('.'), message });
  }
  return out;
}

/** The first message for each field an issue belongs to; issues of no field are dropped. */
export function errorsByField<F extends string>(issues: Iterable<FormIssue>, fieldOf: (path: readonly PropertyKey[]) => F | null): Partial<Record<F, string>> {
  const errors: Partial<Record<F, string>> = {};
  for (const issue of issues) {
    const field = fieldOf(issue.path);
    if (field && !errors[field]) errors[field] = issue.message;
  }
  return errors;
}
