/**
 * Where the Hub settings come from when the user has not set them, following
 * huggingface_hub (shared/notes/hub-protocol.md): cache from HF_HUB_CACHE / HF_HOME,
 * endpoint from HF_ENDPOINT, offline from HF_HUB_OFFLINE, and the token from the app's
 * own store first, then HF_TOKEN / HUGGING_FACE_HUB_TOKEN, then the token file.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Settings, TokenSource } from '../../../shared/settings.js';
import type { ArtifactConfig } from '../artifacts/types.js';
import { defaultHubCacheDir } from '../artifacts/hf-cache-layout.js';
import type { TokenStore } from './token-store.js';

export const DEFAULT_ENDPOINT = 'https://huggingface.co';

export interface ResolvedToken {
  token: string | null;
  source: TokenSource;
}

export function resolveToken(store: TokenStore, env: NodeJS.ProcessEnv): ResolvedToken {
  const own = store.get();
  if (own) return { token: own, source: 'app' };
  const fromEnv = (env['HF_TOKEN'] ?? env['HUGGING_FACE_HUB_TOKEN'])?.trim();
  if (fromEnv) return { token: fromEnv, source: 'env' };
  const file = env['HF_TOKEN_PATH'] ?? join(env['HF_HOME'] ?? join(env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'huggingface'), 'token');
  try {
    const fromFile = readFileSync(file, 'utf8').trim();
    if (fromFile) return { token: fromFile, source: 'file' };
  } catch {
    // No token file: anonymous access.
  }
  return { token: null, source: null };
}

export function isOffline(env: NodeJS.ProcessEnv): boolean {
  const v = (env['HF_HUB_OFFLINE'] ?? '').trim().toLowerCase();
  return v === '1' || v === 'true' || v === 'yes' || v === 'on';
}

export function resolveEndpoint(settings: Settings, env: NodeJS.ProcessEnv): string {
  return (settings.hfEndpoint ?? env['HF_ENDPOINT'] ?? DEFAULT_ENDPOINT).replace(/\/+$/, '');
}

export function resolveCacheDir(settings: Settings, env: NodeJS.ProcessEnv): string {
  return settings.cacheDir ? resolve(settings.cacheDir) : defaultHubCacheDir(env);
}

/** Everything the artifact manager follows, from settings, the token store and the environment. */
export function artifactConfig(settings: Settings, token: ResolvedToken, env: NodeJS.ProcessEnv): ArtifactConfig {
  return {
    cacheDir: resolveCacheDir(settings, env),
    cacheLimitBytes: settings.cacheLimitBytes,
    endpoint: resolveEndpoint(settings, env),
    token: token.token,
    offline: isOffline(env),
    downloadConcurrency: settings.downloadConcurrency,
    downloadLowSpeedBps: settings.downloadLowSpeedBps,
    downloadLowSpeedSeconds: settings.downloadLowSpeedSeconds,
    downloadPartsPerFile: settings.downloadPartsPerFile,
  };
}
