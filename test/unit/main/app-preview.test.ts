import { afterEach, describe, expect, it } from 'vitest';
import type { CommandReply } from '../../../src/shared/contract/api.js';
import type { LoadPreview } from '../../../src/shared/slots/load-preview.js';
import { harness, type Harness } from '../../../src/devkit/app/app-harness.js';

const open: Harness[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.close()));
});

describe('App: previewLoad', () => {
  it('answers what a load would do, validated like every command, and emits nothing', async () => {
    const h = await harness();
    open.push(h);
    const events = h.events.length;
    const reply: CommandReply = await h.app.execute('previewLoad', { slot: 'E1' });
    if (!reply.ok) throw new Error(reply.error.message);
    const preview = reply.result as LoadPreview;
    expect(preview).toMatchObject({ slot: 'E1', alreadyLoaded: false, evicts: [] });
    expect(typeof preview.estimateBytes).toBe('number');
    expect(h.events.length).toBe(events);
    const bad = await h.app.execute('previewLoad', { slot: 'E99' });
    expect(bad.ok ? null : bad.error.code).toBe('EMB-E401');
  });
});
