/**
 * The user's settings as a JSON file in the data folder. Reads are validated with the
 * shared SettingsSchema: a file that does not parse or validate is moved aside (kept for
 * the user, never silently overwritten) and defaults are used, with a warning to show.
 * Writes are atomic and serialised, so the file on disk is always a whole, valid version.
 */
import { mkdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { z } from 'zod';
import { ModelbayError } from '../../../shared/errors.js';
import {
  defaultSettings,
  SettingsPatchSchema,
  SettingsSchema,
  type Settings,
  type SettingsPatch,
  type SlotSettings,
} from '../../../shared/settings.js';
import type { SlotId } from '../../../shared/slots.js';
import { writeFileAtomic } from './atomic-file.js';

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
  private writing: Promise<void> = Promise.resolve();
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
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new SettingsStore(path, defaultSettings(), []);
      throw new ModelbayError('EMB-E406', `The settings file ${path} cannot be read: ${(e as Error).message}`, { path });
    }
    let problem: string;
    try {
      const parsed = SettingsSchema.safeParse(JSON.parse(text));
      if (parsed.success) return new SettingsStore(path, parsed.data, []);
      problem = describeIssues(parsed.error).map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ');
    } catch (e) {
      problem = `not valid JSON (${(e as Error).message})`;
    }
    const aside = `${path}.invalid-${now()}`;
    await rename(path, aside);
    return new SettingsStore(path, defaultSettings(), [
      `The settings file was invalid (${problem}); it was moved to ${aside} and the defaults are used.`,
    ]);
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
   * Apply a partial update: top-level keys replace, `slots` entries merge field by field.
   * An invalid patch is EMB-E406 with the zod issues in details, and nothing changes.
   * Resolves once the new settings are on disk.
   */
  async update(patch: unknown): Promise<Settings> {
    const parsed = SettingsPatchSchema.safeParse(patch);
    if (!parsed.success) {
      throw new ModelbayError('EMB-E406', `Those settings are not valid: ${parsed.error.issues[0]?.message ?? 'invalid value'}.`, { issues: describeIssues(parsed.error) });
    }
    const next = this.merge(parsed.data, patch as Record<string, unknown>);
    const before = this.current;
    this.current = next;
    const write = this.writing.then(() => writeFileAtomic(this.path, `${JSON.stringify(next, null, 2)}\n`));
    this.writing = write.catch(() => undefined);
    try {
      await write;
    } catch (e) {
      // Memory and disk must agree: a failed write takes the change back if nothing followed it.
      if (this.current === next) this.current = before;
      throw new ModelbayError('EMB-E406', `The settings could not be saved to ${this.path}: ${(e as Error).message}`, { path: this.path });
    }
    for (const l of this.listeners) l(next);
    return next;
  }

  /** Merge one slot's fields. */
  updateSlot(slot: SlotId, patch: Partial<SlotSettings>): Promise<Settings> {
    return this.update({ slots: { [slot]: patch } });
  }

  /** Resolves when every write so far has finished. */
  flush(): Promise<void> {
    return this.writing;
  }

  private merge(patch: SettingsPatch, raw: Record<string, unknown>): Settings {
    const { slots: _slots, ...top } = patch;
    const merged: Record<string, unknown> = { ...this.current, ...top };
    // The parsed patch fills slot defaults (pinned: false…); merge only the fields the caller gave.
    const rawSlots = raw['slots'];
    if (rawSlots !== undefined && typeof rawSlots === 'object' && rawSlots !== null) {
      const slots: Record<string, unknown> = { ...this.current.slots };
      for (const [id, fields] of Object.entries(rawSlots as Record<string, unknown>)) {
        slots[id] = { ...(this.current.slots[id as SlotId] ?? {}), ...(fields as Record<string, unknown>) };
      }
      merged['slots'] = slots;
    }
    const result = SettingsSchema.safeParse(merged);
    if (!result.success) {
      throw new ModelbayError('EMB-E406', `Those settings are not valid: ${result.error.issues[0]?.message ?? 'invalid value'}.`, { issues: describeIssues(result.error) });
    }
    return result.data;
  }
}
