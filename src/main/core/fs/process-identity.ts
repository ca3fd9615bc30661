/**
 * Who holds a lock: a pid alone is not enough, since a killed process's pid is reused by
 * another. The pid together with the process's start time (Linux: field 22 of
 * /proc/<pid>/stat) names one process for good. Elsewhere only liveness can be asked.
 */
import { readFileSync } from 'node:fs';

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The process's start time in clock ticks since boot, or null where /proc is not there. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

/** Whether the process that wrote `{pid, startTime}` is still the one running under that pid. */
export function sameProcessAlive(pid: number, startTime: string | null): boolean {
  if (!pidAlive(pid)) return false;
  if (startTime === null) return true;
  const now = processStartTime(pid);
  return now === null || now === startTime;
}
