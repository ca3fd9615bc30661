/**
 * Where the Hub settings come from when the user has not set them, following
 * huggingface_hub's environment variables: cache from HF_HUB_CACHE / HF_HOME,
 * endpoint from HF_ENDPOINT, offline from HF_HUB_OFFLINE, and the token from the app's
 * own store first, then HF_TOKEN / HUGGING_FACE_HUB_TOKEN, then the token file.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Settings, TokenSource } from '../../../../shared/settings/settings.js';
import type { TokenStore } from '../../state/token-store.js';

/**
 * huggingface_hub's home folder, the one place HF_HOME is read: HF_HOME, else
 * XDG_CACHE_HOME/huggingface, else ~/.cache/huggingface. An empty variable counts as unset.
 */
export function hfHome(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env['HF_HOME'] || join(env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'huggingface'));
}

/** The cache root of huggingface_hub: HF_HUB_CACHE, else {@link hfHome}/hub. */
export function defaultHubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env['HF_HUB_CACHE'] ? resolve(env['HF_HUB_CACHE']) : join(hfHome(env), 'hub');
}

export const DEFAULT_ENDPOINT = 'https://huggingface.co';

export interface ResolvedToken {
  token: string | null;
  source: TokenSource;
}

/** The token the app uses: its own store first, then huggingface_hub's sources. */
export function resolveToken(store: TokenStore, env: NodeJS.ProcessEnv): ResolvedToken {
  return resolveTokenFrom({ appToken: store.get(), env });
}

/**
 * The token in huggingface_hub's order, after the app's own setting: HF_TOKEN,
 * HUGGING_FACE_HUB_TOKEN, then the file $HF_TOKEN_PATH (default $HF_HOME/token, i.e.
 * ~/.cache/huggingface/token). Values are trimmed; empty means absent (an empty
 * HF_TOKEN falls through to HUGGING_FACE_HUB_TOKEN, as Python's `or` does).
 */
export function resolveTokenFrom(input: { appToken?: string | null; env?: NodeJS.ProcessEnv; readFile?: (path: string) => string }): ResolvedToken {
  const env = input.env ?? process.env;
  const app = input.appToken?.trim();
  if (app) return { token: app, source: 'app' };
  for (const name of ['HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN']) {
    const v = env[name]?.trim();
    if (v) return { token: v, source: 'env' };
  }
  const path = env['HF_TOKEN_PATH'] ?? join(hfHome(env), 'token');
  const read = input.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  try {
    const v = read(path).trim();
    if (v) return { token: v, source: 'file' };
  } catch {
    // No token file is the common case, not an error.
  }
  return { token: null, source: null };
}

/** HF_HUB_OFFLINE as huggingface_hub reads it. */
export function isOffline(env: NodeJS.ProcessEnv = process.env): boolean {
  return ['1', 'ON', 'YES', 'TRUE'].includes((env['HF_HUB_OFFLINE'] ?? '').trim().toUpperCase());
}

export function resolveEndpoint(settings: Settings, env: NodeJS.ProcessEnv): string {
  return (settings.hfEndpoint ?? env['HF_ENDPOINT'] ?? DEFAULT_ENDPOINT).replace(/\/+$/, '');
}
