/**
 * What the artifact manager needs of the downloader: the public face of `Downloader`,
 * so tests can hand in a scripted one and the real one fits as is.
 */
import type { Downloader } from './downloader.js';

export type { DownloadedFile, FileProgressUpdate, FileRequest } from './downloader.js';

export type DownloaderPort = Pick<Downloader, 'configure' | 'download' | 'discardPartial'>;
