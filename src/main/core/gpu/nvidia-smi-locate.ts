/**
 * Where nvidia-smi is: on PATH everywhere; on Windows also %WINDIR%\System32 and the
 * driver store (System32\DriverStore\FileRepository\nv*\), where recent drivers put it.
 */
import { access, readdir } from 'node:fs/promises';
import { constants } from 'node:fs';
import path from 'node:path';

export interface LocateOptions {
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  /** Injected for tests: whether a file exists and is executable. */
  isExecutable?: (file: string) => Promise<boolean>;
  listDir?: (dir: string) => Promise<string[]>;
}

async function executable(file: string): Promise<boolean> {
  try {
    await access(file, process.platform === 'win32' ? constants.F_OK : constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function list(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

export async function locateNvidiaSmi(options: LocateOptions = {}): Promise<string | null> {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const isExec = options.isExecutable ?? executable;
  const listDir = options.listDir ?? list;
  const p = platform === 'win32' ? path.win32 : path.posix;
  const exe = platform === 'win32' ? 'nvidia-smi.exe' : 'nvidia-smi';
  const pathVar = env.PATH ?? env.Path ?? '';
  for (const dir of pathVar.split(platform === 'win32' ? ';' : ':')) {
    if (!dir) continue;
    const candidate = p.join(dir, exe);
    if (await isExec(candidate)) return candidate;
  }
  if (platform === 'win32') {
    const windir = env.WINDIR ?? env.SystemRoot ?? 'C:\\Windows';
    const system32 = p.join(windir, 'System32');
    const direct = p.join(system32, exe);
    if (await isExec(direct)) return direct;
    const repo = p.join(system32, 'DriverStore', 'FileRepository');
    for (const sub of (await listDir(repo)).filter((d) => /^nv/i.test(d)).sort()) {
      const candidate = p.join(repo, sub, exe);
      if (await isExec(candidate)) return candidate;
    }
  }
  return null;
}
