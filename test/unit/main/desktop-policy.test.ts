/** The desktop shell's decisions, apart from Electron (whose binary cannot run here). */
import { describe, expect, it } from 'vitest';
import { devRendererUrl } from '../../../src/main/electron/dev-renderer.js';
import { externalLinkAllowed } from '../../../src/main/electron/external-links.js';
import { tokenEncryption } from '../../../src/main/electron/token-encryption.js';
import { tokenStorageText } from '../../../src/renderer/src/display/token-storage-text.js';

describe('links opened in the browser', () => {
  const policy = { hubEndpoint: 'https://huggingface.co', docs: ['https://example.org/modelbay/docs'] };

  it('opens the configured Hub and the docs', () => {
    expect(externalLinkAllowed('https://huggingface.co/BAAI/bge-small-en-v1.5', policy)).toBe(true);
    expect(externalLinkAllowed('https://huggingface.co/settings/tokens', policy)).toBe(true);
    expect(externalLinkAllowed('https://example.org/modelbay/docs', policy)).toBe(true);
    expect(externalLinkAllowed('https://example.org/modelbay/docs/headless#security', policy)).toBe(true);
  });

  it('refuses everything else: other hosts, look-alikes, other schemes, credentials, paths beside the docs', () => {
    for (const url of [
      'https://evil.example/',
      'https://huggingface.co.evil.example/',
      'http://huggingface.co/',
      'https://user:pass@huggingface.co/',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'smb://huggingface.co/share',
      'https://example.org/modelbay/docs-evil',
      'https://example.org/other',
      'not a url',
    ]) expect(externalLinkAllowed(url, policy), url).toBe(false);
  });

  it('follows a changed Hub endpoint, a local http mirror included', () => {
    const mirror = { hubEndpoint: 'http://127.0.0.1:8080', docs: [] };
    expect(externalLinkAllowed('http://127.0.0.1:8080/org/model', mirror)).toBe(true);
    expect(externalLinkAllowed('https://huggingface.co/org/model', mirror)).toBe(false);
    expect(externalLinkAllowed('http://127.0.0.1:8081/', mirror)).toBe(false);
  });
});

describe('the renderer dev server URL', () => {
  it('is honoured only in dev mode, unpackaged, on loopback', () => {
    const env = { ELECTRON_RENDERER_URL: 'http://localhost:5173/', MODELBAY_DEV: '1' };
    expect(devRendererUrl(env, false)).toEqual({ url: 'http://localhost:5173/', ignored: null });
    expect(devRendererUrl({ ...env, ELECTRON_RENDERER_URL: 'http://127.0.0.1:5173' }, false).url).toBe('http://127.0.0.1:5173/');
    expect(devRendererUrl({ ...env, ELECTRON_RENDERER_URL: 'http://[::1]:5173/' }, false).url).toBe('http://[::1]:5173/');
  });

  it('is ignored, with a reason, otherwise', () => {
    expect(devRendererUrl({}, false)).toEqual({ url: null, ignored: null });
    expect(devRendererUrl({ ELECTRON_RENDERER_URL: 'http://localhost:5173/' }, false).ignored).toContain('MODELBAY_DEV=1');
    expect(devRendererUrl({ ELECTRON_RENDERER_URL: 'http://localhost:5173/', MODELBAY_DEV: '1' }, true).ignored).toContain('packaged');
    for (const url of ['https://evil.example/', 'http://192.168.1.5:5173/', 'http://localhost.evil.example/', 'file:///tmp/x.html', 'http://user:pw@localhost:5173/', 'nonsense']) {
      const d = devRendererUrl({ ELECTRON_RENDERER_URL: url, MODELBAY_DEV: '1' }, false);
      expect(d.url, url).toBeNull();
      expect(d.ignored, url).not.toBeNull();
    }
  });
});

describe('token encryption', () => {
  it('on Linux, only a keyring backend encrypts; basic_text falls back to the 0600 file', () => {
    expect(tokenEncryption({ platform: 'linux', available: true, backend: 'gnome_libsecret' })).toEqual({ encrypt: true, backend: 'gnome_libsecret' });
    expect(tokenEncryption({ platform: 'linux', available: true, backend: 'kwallet6' }).encrypt).toBe(true);
    expect(tokenEncryption({ platform: 'linux', available: true, backend: 'basic_text' })).toEqual({ encrypt: false, backend: 'basic_text' });
    expect(tokenEncryption({ platform: 'linux', available: true, backend: 'unknown' }).encrypt).toBe(false);
    expect(tokenEncryption({ platform: 'linux', available: false, backend: 'gnome_libsecret' }).encrypt).toBe(false);
  });

  it('macOS and Windows use their store when available', () => {
    expect(tokenEncryption({ platform: 'darwin', available: true, backend: null })).toEqual({ encrypt: true, backend: 'keychain' });
    expect(tokenEncryption({ platform: 'win32', available: false, backend: null })).toEqual({ encrypt: false, backend: 'none' });
  });

  it('the settings view says what is true', () => {
    expect(tokenStorageText({ set: true, source: 'app', encrypted: true, backend: 'gnome_libsecret' })).toBe(' · stored encrypted (gnome_libsecret)');
    const plain = tokenStorageText({ set: true, source: 'app', encrypted: false, backend: 'basic_text' });
    expect(plain).toContain('not encrypted');
    expect(plain).toContain('0600');
    expect(plain).toContain('basic_text');
    expect(tokenStorageText({ set: true, source: 'env', encrypted: false, backend: null })).toBe('');
  });
});
