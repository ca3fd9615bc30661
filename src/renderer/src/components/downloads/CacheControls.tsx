import { count } from '../../../../shared/values/counts.js';
import { useId, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { SlotReadiness } from '../../../../shared/artifacts/artifacts.js';
import type { SlotId } from '../../../../shared/slots/slots.js';
import { filesInUse } from '../../../../shared/slots/state.js';
import { slotStateClause } from '../../../../shared/slots/state-words.js';
import { fileSize } from '../../display/figures.js';
import { selectPending } from '../../store/selectors.js';
import { GLOBAL_KEY } from '../../store/ui-state.js';
import { useCommand, useDashboard } from '../../store/use-dashboard.js';
import { DialogHead, ModalDialog } from '../common/ModalDialog.js';

/** Slots whose files cannot be deleted now: a session holds them open, or a download writes them. */
const selectFilesInUse = (s: { model: { slots: Partial<Record<SlotId, { state: string } | undefined>> } }): SlotId[] =>
  (Object.entries(s.model.slots) as Array<[SlotId, { state: string } | undefined]>)
    .filter(([, slot]) => slot && filesInUse(slot.state))
    .map(([id]) => id);

/** "Clear cache…": a confirmation that says what goes (how much, which slots) and what stays. */
export function ClearCacheButton(): React.JSX.Element {
  const [open, setOpen] = useState(false);
  const report = useDashboard((s) => s.model.readiness);
  const cacheDir = useDashboard((s) => s.model.settings?.cacheDir ?? null);
  const inUse = useDashboard(useShallow(selectFilesInUse));
  const pending = useDashboard(selectPending(GLOBAL_KEY));
  const send = useCommand();
  const titleId = useId();
  const withFiles = report?.slots.filter((r) => r.presentBytes > 0).map((r) => r.slot) ?? [];
  const frees = report?.presentBytes ?? 0;
  return (
    <>
      <button type="button" className="button" aria-haspopup="dialog" disabled={pending !== undefined} onClick={() => setOpen(true)}>
        Clear cache…
      </button>
      <ModalDialog open={open} onClose={() => setOpen(false)} labelledBy={titleId} className="confirm-dialog">
        <div className="config-form">
          <DialogHead id={titleId} closeLabel="Close" onClose={() => setOpen(false)}>
            Clear the model cache?
          </DialogHead>
          <p className="clear-frees">
            Deletes the files of {count(withFiles.length, 'slot')}
            {withFiles.length > 0 ? ` (${withFiles.join(', ')})` : ''} and frees <strong className="num">{fileSize(frees)}</strong>.
          </p>
          <p className="clear-keeps muted">
            Keeps everything else in {cacheDir ? <code>{cacheDir}</code> : 'the Hugging Face cache'}: other repositories and revisions (for example what
            Python&apos;s huggingface_hub downloaded), and your settings, token and slot choices. The slots can be downloaded again at any time.
          </p>
          {inUse.length > 0 && (
            <p className="config-lock" role="status">
              {inUse.join(', ')} {inUse.length === 1 ? 'is' : 'are'} loaded or downloading: unload them, or pause their downloads, before clearing.
            </p>
          )}
          <div className="dialog-actions">
            <button type="button" className="button" onClick={() => setOpen(false)}>
              Cancel
            </button>
            <button
              type="button"
              className="button danger"
              disabled={inUse.length > 0 || frees === 0}
              onClick={() => {
                setOpen(false);
                send(GLOBAL_KEY, 'clearCache', {});
              }}
            >
              Delete {fileSize(frees)}
            </button>
          </div>
        </div>
      </ModalDialog>
    </>
  );
}

/** "Delete files" in a readiness row: asks in place, says how much goes and that shared files stay. */
export function DeleteFilesButton({ r }: { r: SlotReadiness }): React.JSX.Element | null {
  const [asking, setAsking] = useState(false);
  const state = useDashboard((s) => s.model.slots[r.slot]?.state);
  const pending = useDashboard(selectPending(r.slot));
  const send = useCommand();
  const busy = state !== undefined && filesInUse(state);
  const why = busy ? `${slotStateClause(r.slot, state)}: unload it or stop its download first` : undefined;
  // Nothing in the cache, nothing to offer: a column of dead buttons would only be noise.
  if (r.presentBytes === 0) return null;
  if (asking) {
    return (
      <span className="delete-confirm" role="group" aria-label={`Confirm deleting the files of ${r.slot}`}>
        <span>Delete {fileSize(r.presentBytes)}? Files other slots use stay.</span>
        <button
          type="button"
          className="button small danger"
          autoFocus
          onClick={() => {
            setAsking(false);
            send(r.slot, 'clearSlot', { slot: r.slot });
          }}
        >
          Delete
        </button>
        <button type="button" className="button small" onClick={() => setAsking(false)}>
          Cancel
        </button>
      </span>
    );
  }
  return (
    <button type="button" className="button small" aria-label={`Delete the files of ${r.slot}`} title={why ?? `Delete ${r.slot}'s files from the cache`} disabled={why !== undefined || pending !== undefined} onClick={() => setAsking(true)}>
      Delete files
    </button>
  );
}
