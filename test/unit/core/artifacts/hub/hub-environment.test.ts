import { describe, expect, it } from 'vitest';
import { resolveToken } from '../../../../../src/main/core/artifacts/hub/hub-environment.js';
import type { TokenStore } from '../../../../../src/main/core/state/token-store.js';

const store = (token: string | null): TokenStore => ({ get: () => token, set: () => undefined, encrypted: false, backend: 'file' });

describe('resolveToken (the one token resolver the app uses)', () => {
  it('an empty HF_TOKEN falls through to HUGGING_FACE_HUB_TOKEN, as in huggingface_hub', () => {
    expect(resolveToken(store(null), { HF_TOKEN: '', HUGGING_FACE_HUB_TOKEN: 'hf_legacy', HF_HOME: '/nowhere' })).toEqual({ token: 'hf_legacy', source: 'env' });
    expect(resolveToken(store(null), { HF_TOKEN: '  ', HUGGING_FACE_HUB_TOKEN: 'hf_legacy', HF_HOME: '/nowhere' })).toEqual({ token: 'hf_legacy', source: 'env' });
  });

  it('the app token wins; blank app tokens count as absent', () => {
    expect(resolveToken(store(' hf_app '), { HF_TOKEN: 'hf_env' })).toEqual({ token: 'hf_app', source: 'app' });
    expect(resolveToken(store('  '), { HF_TOKEN: 'hf_env' })).toEqual({ token: 'hf_env', source: 'env' });
  });
});
