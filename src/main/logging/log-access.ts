/** What the App needs of the log file: record failures, read the tail, open the folder. */
import type { ActivityEntry } from '../../shared/contract/activity.js';
import type { SerializedError } from '../../shared/errors/errors.js';
import type { AppLog } from './app-log.js';

export interface LogAccess {
  readonly dir: string;
  readonly file: string;
  tail(lines: number): Promise<string[]>;
  /** Desktop only: show the folder in the file manager; resolves to whether it opened. */
  open?: () => Promise<boolean>;
  commandFailed(command: string, error: SerializedError): void;
}

export function logAccess(log: AppLog, open?: () => Promise<boolean>): LogAccess {
  return {
    dir: log.dir,
    file: log.file,
    tail: (lines) => log.tail(lines),
    open,
    commandFailed(command, error) {
      // A refused request (EMB-E4xx) is the caller's mistake; anything else is ours.
      const level = error.code.startsWith('EMB-E4') ? 'warn' : 'error';
      log.logger[level]({ command, code: error.code, details: error.details }, error.message);
    },
  };
}

/** Activity entries go to the file too; those with a code are errors, with what the entry knows. */
export function logActivity(log: AppLog, e: ActivityEntry): void {
  const { message, ...fields } = e;
  if (e.code) log.logger.error({ activity: fields }, message);
  else log.logger.info({ activity: fields }, message);
}
