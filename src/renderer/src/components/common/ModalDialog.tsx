import { useEffect, useRef } from 'react';

const FOCUSABLE = 'button:not(:disabled), input:not(:disabled), select:not(:disabled), textarea:not(:disabled), a[href], [tabindex]:not([tabindex="-1"])';

/**
 * Tab wraps from the last control to the first and back: a modal <dialog> makes the page
 * behind it inert, but the browser would still let Tab leave for its own toolbar.
 */
function wrapFocus(e: React.KeyboardEvent<HTMLDialogElement>): void {
  if (e.key !== 'Tab') return;
  const controls = [...e.currentTarget.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => el.offsetParent !== null);
  const first = controls[0];
  const last = controls[controls.length - 1];
  if (!first || !last) return;
  if (e.shiftKey && document.activeElement === first) {
    e.preventDefault();
    last.focus();
  } else if (!e.shiftKey && document.activeElement === last) {
    e.preventDefault();
    first.focus();
  }
}

/**
 * A modal <dialog> shown while `open`: focus stays inside it, Escape closes it (reported
 * through onClose) and the browser gives focus back to the button that opened it.
 */
export function ModalDialog({
  open,
  onClose,
  labelledBy,
  className,
  children,
}: {
  open: boolean;
  onClose: () => void;
  labelledBy: string;
  className?: string;
  children: React.ReactNode;
}): React.JSX.Element {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog ref={ref} className={className ? `modal-dialog ${className}` : 'modal-dialog'} aria-labelledby={labelledBy} onClose={onClose} onKeyDown={wrapFocus}>
      {open && children}
    </dialog>
  );
}

/** A dialog's title (the id its aria-labelledby names) and its × close button. */
export function DialogHead({ id, closeLabel, onClose, children }: { id: string; closeLabel: string; onClose: () => void; children: React.ReactNode }): React.JSX.Element {
  return (
    <div className="dialog-head">
      <h2 id={id}>{children}</h2>
      <button type="button" className="icon-button" onClick={onClose} aria-label={closeLabel}>
        ×
      </button>
    </div>
  );
}

/** The command in flight, then close and submit. */
export function DialogActions({ pending, closeText, onClose }: { pending: string | undefined; closeText: string; onClose: () => void }): React.JSX.Element {
  return (
    <div className="dialog-actions">
      <span className="muted" role="status">
        {pending ? `${pending}…` : ''}
      </span>
      <button type="button" className="button" onClick={onClose}>
        {closeText}
      </button>
      <button type="submit" className="button primary" disabled={pending !== undefined}>
        Save
      </button>
    </div>
  );
}
