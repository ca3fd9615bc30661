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

/** Fields 3… of /proc/<pid>/stat (index 0 is the state), or null where /proc is not there. */
function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** The process's start time in clock ticks since boot, or null where /proc is not there. */
export function processStartTime(pid: number): string | null {
  return statFields(pid)?.[19] ?? null;
}

/** PF_EXITING in the flags of /proc/<pid>/stat: the process is tearing itself down. */
const PF_EXITING = 0x4;
/** SIGKILL's bit in the pending-signal masks of /proc/<pid>/status. */
const SIGKILL_BIT = 1n << 8n;

/**
 * Whether the pid, though kill(pid, 0) still answers, is a process that is over: a zombie
 * its parent has not reaped yet, one already exiting, or one with a SIGKILL pending. Right
 * after `kill -9` all three happen, and none of them will ever release a lock (Linux; false
 * where /proc is not there).
 */
export function processEnding(pid: number): boolean {
  const fields = statFields(pid);
  if (fields === null) return false;
  const state = fields[0] ?? '';
  if (state === 'Z' || state === 'X' || state === 'x') return true;
  if ((Number(fields[6] ?? 0) & PF_EXITING) !== 0) return true;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return [...status.matchAll(/^(?:ShdPnd|SigPnd):\s*([0-9a-f]+)$/gm)].some((m) => (BigInt(`0x${m[1] ?? '0'}`) & SIGKILL_BIT) !== 0n);
  } catch {
    return false;
  }
}

/** Whether the process that wrote `{pid, startTime}` is still the one running under that pid. */
export function sameProcessAlive(pid: number, startTime: string | null): boolean {
  if (!pidAlive(pid) || processEnding(pid)) return false;
  if (startTime === null) return true;
  const now = processStartTime(pid);
  return now === null || now === startTime;
}
