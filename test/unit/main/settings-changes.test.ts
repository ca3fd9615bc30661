/** A change of the Hub endpoint or the cache folder is recorded in the activity log, whoever sent it. */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sensitiveChanges } from '../../../src/shared/settings/settings-changes.js';
import { harness, type Harness } from '../../../src/devkit/app/app-harness.js';

const open: Harness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
});

const activity = (h: Harness): string[] => h.events.flatMap((e) => (e.type === 'activity' ? [e.entry.message] : []));

describe('sensitive settings', () => {
  it('only fields the patch names and changes count', () => {
    const current = { hfEndpoint: null, cacheDir: '/data/hf' };
    expect(sensitiveChanges(current, {})).toEqual([]);
    expect(sensitiveChanges(current, { cacheDir: '/data/hf', hfEndpoint: null })).toEqual([]);
    expect(sensitiveChanges(current, { hfEndpoint: 'http://127.0.0.1:9/' })).toEqual([{ field: 'hfEndpoint', from: null, to: 'http://127.0.0.1:9/' }]);
    expect(sensitiveChanges(current, { cacheDir: null })).toEqual([{ field: 'cacheDir', from: '/data/hf', to: null }]);
  });

  it('the app logs a change of the endpoint and of the cache folder, and nothing for other settings', async () => {
    const h = await harness();
    open.push(h);
    const r1 = await h.app.execute('updateSettings', { loadConcurrency: 3 });
    expect(r1.ok).toBe(true);
    expect(activity(h).filter((m) => m.includes('changed from'))).toEqual([]);
    const r2 = await h.app.execute('updateSettings', { hfEndpoint: 'http://127.0.0.1:9999', cacheDir: join(h.dir, 'cache') });
    expect(r2.ok).toBe(true);
    const logged = activity(h).filter((m) => m.includes('changed from'));
    expect(logged).toHaveLength(2);
    expect(logged[0]).toContain('endpoint changed from the default to http://127.0.0.1:9999');
    expect(logged[0]).toContain('token');
    expect(logged[1]).toContain(`cache folder changed from the standard Hugging Face cache to ${join(h.dir, 'cache')}`);
    // The log is part of the snapshot a reconnecting dashboard gets.
    expect(h.app.snapshot().activity.filter((a) => a.message.includes('changed from'))).toHaveLength(2);
  });

  it('a refused change logs nothing', async () => {
    const h = await harness();
    open.push(h);
    const r = await h.app.execute('updateSettings', { hfEndpoint: 'not a url', cacheDir: '/x' });
    expect(r.ok).toBe(false);
    expect(activity(h).filter((m) => m.includes('changed from'))).toEqual([]);
  });
});
