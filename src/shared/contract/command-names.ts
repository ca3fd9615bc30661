/**
 * The command names without their zod schemas, for the sandboxed preload: it can
 * require only `electron`, so it must not pull zod in. The compile-time check below
 * keeps this list equal to the keys of COMMAND_SCHEMAS.
 */
import type { COMMAND_SCHEMAS } from './api.js';

export const BRIDGE_COMMAND_NAMES = [
  'getSnapshot', 'load', 'unload', 'evict', 'pin', 'unpin', 'setPreload', 'setDevice', 'setIdleTtl', 'setSlotSource',
  'download', 'downloadAll', 'pauseDownload', 'resumeDownload', 'cancelDownload', 'verify', 'clearSlot', 'clearCache',
  'refreshReadiness', 'embed', 'updateSettings', 'setToken', 'previewLoad', 'readLog', 'openLogs',
  'scanDisk', 'assignModel', 'deleteRevision', 'setAlias', 'probe', 'checkUpdates',
  'applyUpdate', 'rollbackUpdate',
  'lockLayout', 'verifyLock', 'previewRestore', 'restoreLock', 'layoutStatus', 'exportLayout',
] as const;

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameAsSchemas: Same<(typeof BRIDGE_COMMAND_NAMES)[number], keyof typeof COMMAND_SCHEMAS> = true;
void sameAsSchemas;
