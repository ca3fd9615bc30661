/**
 * The user's settings as a JSON file in the data folder. Reads are validated with the
 * shared SettingsSchema: a file that does not validate is copied aside (kept for the
 * user) and salvaged: every valid field is kept, only the invalid ones are reset, and a
 * warning names them. Updates are validated, then persisted, then applied — in one
 * serialised queue — so memory never holds a value the disk does not, and a refused or
 * unsaved patch changes nothing. A patch changes exactly the fields it names.
 */
import { copyFile, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { z } from 'zod';
import { ModelbayError } from '../../../shared/errors/errors.js';
import {
  defaultSettings,
  SettingsPatchSchema,
  SettingsSchema,
  type Settings,
  SlotSettingsSchema,
  type SlotSettings,
} from '../../../shared/settings/settings.js';
import { SLOT_IDS, type SlotId } from '../../../shared/slots/slots.js';
import { writeFileAtomic } from '../fs/atomic-file.js';

export const SETTINGS_FILE = 'settings.json';

export interface SettingsStoreOptions {
  /** The data folder; created when missing. */
  dir: string;
  now?: () => number;
}

export type SettingsListener = (settings: Settings) => void;

/** zod issues as plain data for error details. */
export function describeIssues(error: z.ZodError): Array<{ path: string; message: string; code: string }> {
  return error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message, code: i.code }));
}

export class SettingsStore {
  private current: Settings;
  private writing: Promise<unknown> = Promise.resolve();
  private readonly listeners = new Set<SettingsListener>();

  private constructor(
    readonly path: string,
    initial: Settings,
    /** Problems met while reading the file, for the app's log. */
    readonly warnings: readonly string[],
  ) {
    this.current = initial;
  }

  static async open(options: SettingsStoreOptions): Promise<SettingsStore> {
    await mkdir(options.dir, { recursive: true });
    const path = join(options.dir, SETTINGS_FILE);
    const now = options.now ?? Date.now;
    await removeStaleTemps(options.dir);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new SettingsStore(path, defaultSettings(), []);
      throw new ModelbayError('EMB-E406', `The settings file ${path} cannot be read: ${(e as Error).message}`, { path });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      const aside = await keepAside(path, now());
      await rm(path, { force: true });
      return new SettingsStore(path, defaultSettings(), [
        `The settings file was not valid JSON (${(e as Error).message}); it was moved to ${aside} and the defaults are used.`,
      ]);
    }
    const parsed = SettingsSchema.safeParse(json);
    if (parsed.success) return new SettingsStore(path, parsed.data, []);
    const { settings, reset } = salvage(json);
    const aside = await keepAside(path, now());
    const store = new SettingsStore(path, settings, [
      `The settings file had invalid values (${reset.join('; ')}); only those were reset to their defaults, every other setting was kept. The original file is at ${aside}.`,
    ]);
    await writeFileAtomic(path, `${JSON.stringify(settings, null, 2)}\n`);
    return store;
  }

  get(): Settings {
    return this.current;
  }

  slot(slot: SlotId): SlotSettings | undefined {
    return this.current.slots[slot];
  }

  on(listener: SettingsListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * The settings a patch would give, without saving or applying anything: top-level keys
   * the patch names replace, `slots` entries merge field by field. EMB-E406 when invalid.
   */
  preview(patch: unknown, base: Settings = this.current): Settings {
    const parsed = SettingsPatchSchema.safeParse(patch);
    if (!parsed.success) throw invalid(parsed.error);
    // zod's .partial() still fills .default() values: take only the keys the caller sent.
    const raw = patch as Record<string, unknown>;
    const merged: Record<string, unknown> = { ...base };
    for (const key of Object.keys(raw)) {
      if (key === 'slots') continue;
      merged[key] = (parsed.data as Record<string, unknown>)[key];
    }
    const rawSlots = raw['slots'];
    if (rawSlots !== undefined && typeof rawSlots === 'object' && rawSlots !== null) {
      const slots: Record<string, unknown> = { ...base.slots };
      for (const [id, fields] of Object.entries(rawSlots as Record<string, unknown>)) {
        slots[id] = { ...(base.slots[id as SlotId] ?? {}), ...(fields as Record<string, unknown>) };
      }
      merged['slots'] = slots;
    }
    const result = SettingsSchema.safeParse(merged);
    if (!result.success) throw invalid(result.error);
    return result.data;
  }

  /**
   * Validate, persist, apply: resolves with the new settings once they are on disk and in
   * memory; rejects with EMB-E406 (nothing changed) when the patch is invalid, `check`
   * refuses the result, or the file cannot be written.
   */
  update(patch: unknown, check?: (next: Settings, before: Settings) => void): Promise<Settings> {
    const run = this.writing.then(async () => {
      const before = this.current;
      const next = this.preview(patch, before);
      check?.(next, before);
      try {
        await writeFileAtomic(this.path, `${JSON.stringify(next, null, 2)}\n`);
      } catch (e) {
        throw new ModelbayError('EMB-E406', `The settings could not be saved to ${this.path}: ${(e as Error).message}`, { path: this.path, reason: (e as NodeJS.ErrnoException).code ?? null });
      }
      this.current = next;
      for (const l of this.listeners) l(next);
      return next;
    });
    this.writing = run.catch(() => undefined);
    return run;
  }

  /** Merge one slot's fields. */
  updateSlot(slot: SlotId, patch: Partial<SlotSettings>, check?: (next: Settings, before: Settings) => void): Promise<Settings> {
    return this.update({ slots: { [slot]: patch } }, check);
  }

  /** Resolves when every write so far has finished. */
  async flush(): Promise<void> {
    await this.writing;
  }
}

function invalid(error: z.ZodError): ModelbayError {
  const issues = describeIssues(error);
  const first = issues[0];
  return new ModelbayError('EMB-E406', `Those settings are not valid: ${first ? `${first.path ? `${first.path}: ` : ''}${first.message}` : 'invalid value'}.`, { issues });
}

async function keepAside(path: string, at: number): Promise<string> {
  const aside = `${path}.invalid-${at}`;
  await copyFile(path, aside);
  return aside;
}

/** Temporary files of atomic writes that a killed process left behind (`.settings.json.<pid>.<rand>.tmp`). */
async function removeStaleTemps(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  const prefix = `.${SETTINGS_FILE}.`;
  await Promise.all(names.filter((n) => n.startsWith(prefix) && n.endsWith('.tmp')).map((n) => rm(join(dir, n), { force: true })));
}

/**
 * Keep every field that validates on its own; reset the others (and, for slots, each
 * invalid field of a slot). Returns the settings and the names of what was reset.
 */
export function salvage(json: unknown): { settings: Settings; reset: string[] } {
  const defaults = defaultSettings();
  const reset: string[] = [];
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { settings: defaults, reset: ['(the whole file: not an object)'] };
  const input = json as Record<string, unknown>;
  const out: Record<string, unknown> = { ...defaults };
  const shape = SettingsSchema.shape as Record<string, z.ZodType>;
  for (const [key, value] of Object.entries(input)) {
    if (key === 'slots') continue;
    const schema = shape[key];
    if (!schema) {
      reset.push(`${key}: unknown setting, dropped`);
      continue;
    }
    const r = schema.safeParse(value);
    if (r.success) out[key] = r.data;
    else reset.push(`${key}: ${r.error.issues[0]?.message ?? 'invalid'}`);
  }
  const slots: Record<string, unknown> = {};
  const rawSlots = input['slots'];
  if (rawSlots !== undefined) {
    if (typeof rawSlots !== 'object' || rawSlots === null || Array.isArray(rawSlots)) reset.push('slots: not an object');
    else {
      const slotShape = SlotSettingsSchema.shape as Record<string, z.ZodType>;
      for (const [id, fields] of Object.entries(rawSlots as Record<string, unknown>)) {
        if (!(SLOT_IDS as readonly string[]).includes(id) || typeof fields !== 'object' || fields === null) {
          reset.push(`slots.${id}: dropped`);
          continue;
        }
        const kept: Record<string, unknown> = {};
        for (const [field, value] of Object.entries(fields as Record<string, unknown>)) {
          const schema = slotShape[field];
          const r = schema?.safeParse(value);
          if (r?.success) kept[field] = r.data;
          else reset.push(`slots.${id}.${field}: ${r?.error.issues[0]?.message ?? 'unknown field'}`);
        }
        slots[id] = SlotSettingsSchema.parse(kept);
      }
    }
  }
  out['slots'] = slots;
  const whole = SettingsSchema.safeParse(out);
  if (whole.success) return { settings: whole.data, reset };
  // A rule across fields failed (none today besides those inside one field): defaults for the fields named.
  for (const issue of whole.error.issues) {
    const key = String(issue.path[0] ?? '');
    if (key in defaults) {
      out[key] = (defaults as Record<string, unknown>)[key];
      reset.push(`${key}: ${issue.message}`);
    }
  }
  return { settings: SettingsSchema.parse(out), reset };
}
