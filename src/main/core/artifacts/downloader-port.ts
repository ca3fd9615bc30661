/**
 * What the artifact manager needs of the downloader: the shape of `Downloader`
 * (downloader.ts), so tests can hand in a scripted one and the real one fits as is.
 */
import type { DownloadPhase } from '../../../shared/artifacts.js';

export interface FileRequest { repo: string; revision: string; path: string; sha256?: string | null; size?: number | null }
export interface FileProgressUpdate { phase: DownloadPhase; bytes: number; total: number | null; speedBps: number; etaSeconds: number | null }
export interface DownloadedFile { repo: string; revision: string; commit: string; path: string; snapshotPath: string; blobPath: string; etag: string; sha256: string; size: number; verifiedBy: 'catalog' | 'lfs' | 'git-sha1'; reused: boolean }

export interface DownloaderPort {
  configure(partial: { cacheDir?: string; endpoint?: string; token?: string | null; offline?: boolean; concurrency?: number }): void;
  download(req: FileRequest, opts?: { signal?: AbortSignal; onProgress?: (p: FileProgressUpdate) => void }): Promise<DownloadedFile>;
  discardPartial(req: FileRequest): Promise<void>;
}
