/**
 * The artifact manager's configuration from the user's settings, the token and
 * huggingface_hub's environment variables (a setting wins over the environment).
 */
import { resolve } from 'node:path';
import type { Settings } from '../../../../shared/settings/settings.js';
import { defaultHubCacheDir, isOffline, resolveEndpoint, type ResolvedToken } from '../hub/hub-environment.js';
import type { ArtifactConfig } from './types.js';

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
