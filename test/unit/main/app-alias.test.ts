import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AliasResult, CommandReply } from '../../../src/shared/contract/api.js';
import { aliasConflict, aliasesOf, publicModelName } from '../../../src/shared/slots/model-names.js';
import { resolveModelName } from '../../../src/shared/slots/serving.js';
import { SLOT_IDS, SLOT_NAMES } from '../../../src/shared/slots/slots.js';
import { defaultSettings, type Settings } from '../../../src/shared/settings/settings.js';
import { harness, type Harness } from '../../../src/devkit/app/app-harness.js';

const open: Harness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
});

function code(reply: CommandReply): string | null {
  return reply.ok ? null : reply.error.code;
}

function withAliases(aliases: Record<string, string>): Settings {
  const s = defaultSettings();
  for (const [id, alias] of Object.entries(aliases)) s.slots[id as 'E1'] = { pinned: false, preload: false, idleTtlMs: null, source: null, alias };
  return s;
}

describe('model names', () => {
  it('the one resolver finds an alias first, then a slot id in any case, then a name; anything else is unknown', () => {
    const s = withAliases({ E1: 'minilm', E7: 'code.v2', E3: 'semantic' });
    const slots = SLOT_IDS.map((id) => ({ id, name: SLOT_NAMES[id], repo: null, alias: aliasesOf(s)[id] ?? null }));
    expect(resolveModelName('minilm', slots)).toBe('E1');
    expect(resolveModelName('code.v2', slots)).toBe('E7');
    // An alias wins over another slot's name (E1 is named "Semantic").
    expect(resolveModelName('semantic', slots)).toBe('E3');
    expect(resolveModelName('E1', slots)).toBe('E1');
    expect(resolveModelName('e13', slots)).toBe('E13');
    expect(resolveModelName('MiniLM', slots)).toBeNull();
    expect(publicModelName('E1', s)).toBe('minilm');
    expect(publicModelName('E2', s)).toBe('E2');
  });

  it('an alias has the documented form, does not shadow another slot id and is unique', () => {
    const s = withAliases({ E1: 'minilm' });
    for (const good of ['a', '0', 'bge-small-en-v1.5', 'e5_large', 'x'.repeat(64), 'e2']) expect(aliasConflict(good === 'e2' ? 'E2' : 'E3', good, s)).toBeNull();
    for (const bad of ['', 'MiniLM', '-x', '.x', '_x', 'a b', 'a/b', 'x'.repeat(65), 'é']) expect(aliasConflict('E3', bad, s)?.code).toBe('EMB-E020');
    expect(aliasConflict('E3', 'e2', s)?.code).toBe('EMB-E020');
    expect(aliasConflict('E3', 'minilm', s)?.code).toBe('EMB-E021');
    expect(aliasConflict('E1', 'minilm', s)).toBeNull();
  });
});

describe('setAlias', () => {
  it('saves the alias, refuses invalid and taken names without changing anything, and null removes it', async () => {
    const h = await harness();
    open.push(h);
    await h.app.start();
    const set = await h.app.execute('setAlias', { slot: 'E1', alias: 'minilm' });
    expect(set.ok && (set.result as AliasResult)).toEqual({ slot: 'E1', alias: 'minilm', name: 'minilm' });
    const saved = JSON.parse(readFileSync(join(h.dir, 'settings.json'), 'utf8')) as Settings;
    expect(saved.slots.E1?.alias).toBe('minilm');
    expect(h.events.some((e) => e.type === 'settings' && e.settings.settings.slots.E1?.alias === 'minilm')).toBe(true);
    expect(h.events.some((e) => e.type === 'activity' && e.entry.message === 'E1 is now named minilm.')).toBe(true);

    expect(code(await h.app.execute('setAlias', { slot: 'E2', alias: 'minilm' }))).toBe('EMB-E021');
    expect(code(await h.app.execute('setAlias', { slot: 'E2', alias: 'Bad Name' }))).toBe('EMB-E020');
    expect(code(await h.app.execute('setAlias', { slot: 'E2', alias: 'e1' }))).toBe('EMB-E020');
    expect(h.settings.get().slots.E2?.alias ?? null).toBeNull();
    // A whole-settings patch cannot sneak a duplicate in either.
    expect(code(await h.app.execute('updateSettings', { slots: { E3: { alias: 'minilm' } } }))).toBe('EMB-E021');
    expect(h.settings.get().slots.E3?.alias ?? null).toBeNull();

    // Two renames racing for one name: exactly one wins.
    const [a, b] = await Promise.all([h.app.execute('setAlias', { slot: 'E4', alias: 'bge' }), h.app.execute('setAlias', { slot: 'E5', alias: 'bge' })]);
    expect([a.ok, b.ok].sort()).toEqual([false, true]);

    // Renaming E1 frees its old name at once.
    expect((await h.app.execute('setAlias', { slot: 'E1', alias: 'minilm-l6' })).ok).toBe(true);
    expect((await h.app.execute('setAlias', { slot: 'E2', alias: 'minilm' })).ok).toBe(true);
    expect((await h.app.execute('setAlias', { slot: 'E2', alias: null })).ok).toBe(true);
    expect(h.settings.get().slots.E2?.alias).toBeNull();
    const named = aliasesOf(h.settings.get());
    expect(resolveModelName('minilm-l6', SLOT_IDS.map((id) => ({ id, name: SLOT_NAMES[id], repo: null, alias: named[id] ?? null })))).toBe('E1');
  });
});
