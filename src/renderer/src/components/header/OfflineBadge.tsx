import { useDashboard } from '../../store/use-dashboard.js';

export const OFFLINE_REASON = 'Offline mode (HF_HUB_OFFLINE is set): downloads are off; files already in the cache still load.';
export const OFFLINE_REASON_ID = 'offline-reason';

export function useOffline(): boolean {
  return useDashboard((s) => s.model.settings?.offline ?? false);
}

/** Said before anything fails: the header shows offline mode as soon as the settings arrive. */
export function OfflineBadge(): React.JSX.Element | null {
  const offline = useOffline();
  if (!offline) return null;
  return (
    <span className="badge badge-warn badge-offline" title={OFFLINE_REASON}>
      offline
      <span id={OFFLINE_REASON_ID} className="visually-hidden">
        {OFFLINE_REASON}
      </span>
    </span>
  );
}
