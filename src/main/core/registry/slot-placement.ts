/**
 * Which device a slot's record is on: moves asked by the user (now, or once the device
 * appears) and the placement of slots nobody placed. Called only by the registry, which
 * hands in its slot manager, its estimator and its change outlet.
 */
import { ModelbayError } from '../../../shared/errors/errors.js';
import type { SlotId } from '../../../shared/slots/slots.js';
import { isDeviceId, type DeviceId } from '../../../shared/slots/state.js';
import type { SlotManager } from '../slots/slot-manager.js';
import type { SlotRecord } from './slot-record.js';

export interface PlacementContext<S> {
  slots: SlotManager;
  estimator: ((slot: SlotId, device: DeviceId) => number) | null;
  changed(r: SlotRecord<S>): void;
}

export function moveRecord<S>(r: SlotRecord<S>, device: DeviceId, options: { whenAvailable?: boolean }, c: PlacementContext<S>): void {
  if (!isDeviceId(device)) throw new ModelbayError('EMB-E008', `Unknown device ${JSON.stringify(device)}.`, { device: String(device) });
  if (!c.slots.hasDevice(device)) {
    if (!options.whenAvailable) throw new ModelbayError('EMB-E008', `Unknown device ${JSON.stringify(device)}.`, { device: String(device), known: c.slots.listDevices() });
    r.wantedDevice = device;
    return;
  }
  if (r.runtime !== 'idle') throw new ModelbayError('EMB-E007', `${r.id} is ${r.runtime}: unload it before moving it to ${device}.`, { slot: r.id, state: r.runtime });
  r.wantedDevice = device;
  if (r.device === device) return;
  r.device = device;
  if (c.estimator) r.estimateBytes = c.estimator(r.id, device);
  c.changed(r);
}

export function placeRecord<S>(r: SlotRecord<S>, defaultDevice: DeviceId, c: PlacementContext<S>): void {
  const device = r.wantedDevice ?? defaultDevice;
  if (r.device === device || !c.slots.hasDevice(device) || r.runtime !== 'idle') return;
  r.device = device;
  if (c.estimator) r.estimateBytes = c.estimator(r.id, device);
  c.changed(r);
}
