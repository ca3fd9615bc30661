/** A labelled form field with its hint, or its error and code in place of the hint. */
export function Field({
  id,
  label,
  hint,
  error,
  code,
  children,
}: {
  id: string;
  label: string;
  hint?: string;
  error?: string;
  code: string;
  children: React.ReactNode;
}): React.JSX.Element {
  return (
    <div className={error ? 'field has-error' : 'field'}>
      <label htmlFor={id}>{label}</label>
      {children}
      {hint && !error && (
        <span className="field-hint" id={`${id}-hint`}>
          {hint}
        </span>
      )}
      {error && (
        <span className="field-error" id={`${id}-error`} role="alert">
          <code className="error-code">{code}</code> {error}
        </span>
      )}
    </div>
  );
}

/** The aria-describedby a field's control needs: its error when shown, else its hint. */
export function describedBy(id: string, error: string | undefined, hint: string | undefined): string | undefined {
  return error ? `${id}-error` : hint ? `${id}-hint` : undefined;
}
