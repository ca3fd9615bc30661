/**
 * The app's log: JSON lines (pino) to <data dir>/logs/modelbay.log, rotated by size
 * (rotating-file-stream: modelbay.log → modelbay.1.log … keeping `files`), every line
 * passed through the Redactor first. Info by default; debug when the user turns it on.
 */
import { mkdirSync } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { createStream, type RotatingFileStream } from 'rotating-file-stream';
import { Redactor } from './redact.js';

export const LOG_FILE = 'modelbay.log';

export interface AppLogOptions {
  /** The folder the log files go into (created if missing). */
  dir: string;
  debug?: boolean;
  /** Rotate when the file reaches this size (bytes). */
  maxBytes?: number;
  /** Rotated files kept besides the current one. */
  files?: number;
}

export interface AppLog {
  readonly dir: string;
  readonly file: string;
  readonly logger: Logger;
  readonly redactor: Redactor;
  setDebug(on: boolean): void;
  /** The last `lines` lines across the current and rotated files, oldest first. */
  tail(lines: number): Promise<string[]>;
  close(): Promise<void>;
}

/**
 * modelbay.log, modelbay.1.log, modelbay.2.log …: index 1 is the newest rotated file.
 * In classical rotation the stream passes the index as the first argument (null for the
 * current file).
 */
function fileName(index: number | Date | null): string {
  return typeof index === 'number' && index > 0 ? `modelbay.${index}.log` : LOG_FILE;
}

export function createAppLog(options: AppLogOptions): AppLog {
  mkdirSync(options.dir, { recursive: true, mode: 0o700 });
  const redactor = new Redactor();
  const stream: RotatingFileStream = createStream(fileName, {
    path: options.dir,
    size: `${Math.max(1, Math.ceil((options.maxBytes ?? 5 * 1024 * 1024) / 1024))}K`,
    rotate: options.files ?? 4,
    mode: 0o600,
  });
  // A broken log must never take the app down: a write error is dropped, not thrown.
  stream.on('error', () => undefined);
  const logger = pino(
    {
      level: options.debug ? 'debug' : 'info',
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { log: (obj) => redactor.value(obj) as Record<string, unknown> },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((a) => redactor.value(a)) as Parameters<typeof method>);
        },
      },
    },
    stream,
  );
  let closing: Promise<void> | null = null;
  return {
    dir: options.dir,
    file: join(options.dir, LOG_FILE),
    logger,
    redactor,
    setDebug(on) {
      logger.level = on ? 'debug' : 'info';
    },
    async tail(lines) {
      // The stream writes in order: once an empty write is done, every line before it is on disk.
      await new Promise<void>((resolve) => {
        if (stream.writableEnded) resolve();
        else stream.write('', () => resolve());
      });
      const names = (await readdir(options.dir).catch(() => [] as string[])).filter((n) => /^modelbay(\.\d+)?\.log$/.test(n));
      // Oldest first: the highest index, …, 1, then the current file.
      const index = (n: string): number => Number(/\.(\d+)\.log$/.exec(n)?.[1] ?? 0);
      names.sort((a, b) => index(b) - index(a));
      const out: string[] = [];
      for (const n of names) {
        const text = await readTail(join(options.dir, n), 1024 * 1024);
        out.push(...text.split('\n').filter((l) => l.length > 0));
      }
      return out.slice(-lines);
    },
    close() {
      // Idempotent: the app's shutdown closes it, and so may whoever composed the app.
      closing ??= new Promise((resolve) => {
        logger.flush(() => {
          stream.end(() => resolve());
        });
      });
      return closing;
    },
  };
}

/** At most the last `bytes` of a file, cut at a line start. */
async function readTail(path: string, bytes: number): Promise<string> {
  const size = (await stat(path).catch(() => null))?.size ?? 0;
  if (size === 0) return '';
  const handle = await open(path, 'r');
  try {
    const start = Math.max(0, size - bytes);
    const buf = Buffer.alloc(size - start);
    await handle.read(buf, 0, buf.length, start);
    const text = buf.toString('utf8');
    return start === 0 ? text : text.slice(text.indexOf('\n') + 1);
  } finally {
    await handle.close();
  }
}
