/**
 * The catalog of the 13 slots (resources/catalog.json): which repository, revision and
 * files fill each slot, validated at load because a bad entry would become a bad path
 * or a silent wrong model. A user's SlotSource (settings) replaces a slot's entry.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { CatalogFileView, CatalogSlotView, CatalogStatus, ModelVariant, Pooling } from '../../../../shared/artifacts/artifacts.js';
import { ModelbayError } from '../../../../shared/errors/errors.js';
import { RepoIdSchema, RevisionSchema, SlotIdSchema, type SlotSource } from '../../../../shared/settings/settings.js';
import { SLOT_IDS, type SlotId } from '../../../../shared/slots/slots.js';
import { SHA256_RE } from '../../../../shared/values/values.js';
import { assertRepoPath } from '../cache/hf-cache-layout.js';

const VARIANTS = ['fp32', 'fp16', 'int8'] as const;
const ROLES = ['model', 'external-data', 'tokenizer', 'config', 'other'] as const;

const FileSchema = z
  .object({
    // Escaping paths are refused after parsing with EMB-E111, the code for unsafe paths.
    path: z.string().min(1).max(512),
    role: z.enum(ROLES),
    size: z.number().int().min(0).max(2 ** 44).nullable().default(null),
    sha256: z.string().regex(SHA256_RE, 'a sha256 is 64 lowercase hex characters').nullable().default(null),
  })
  .strict();

const VariantSchema = z.object({ files: z.array(FileSchema).min(1).max(32) }).strict();

const EntrySchema = z
  .object({
    slot: SlotIdSchema,
    status: z.enum(['real', 'stand-in', 'none']),
    repo: RepoIdSchema.nullable(),
    revision: RevisionSchema.nullable(),
    defaultVariant: z.enum(VARIANTS).nullable(),
    variants: z.partialRecord(z.enum(VARIANTS), VariantSchema),
    dims: z.number().int().positive().max(1_000_000).nullable(),
    pooling: z.enum(['mean', 'cls', 'none']).nullable(),
    license: z.string().min(1).max(100).nullable(),
    gated: z.boolean(),
    note: z.string().max(2000).nullable(),
  })
  .strict();

const CatalogSchema = z.object({ version: z.literal(1), slots: z.array(z.unknown()) }).strict();

export type CatalogEntry = z.infer<typeof EntrySchema>;
export type CatalogFile = z.infer<typeof FileSchema>;

/** What a slot is made of right now: the catalog's chosen variant, or the user's own source. */
export interface SlotModel {
  slot: SlotId;
  status: CatalogStatus;
  origin: 'catalog' | 'user';
  repo: string;
  revision: string;
  variant: ModelVariant | null;
  files: CatalogFile[];
  dims: number | null;
  pooling: Pooling | null;
  license: string | null;
  gated: boolean;
  note: string | null;
}

export type Catalog = Readonly<Record<SlotId, CatalogEntry>>;

function invalid(slot: string, field: string, why: string): ModelbayError {
  return new ModelbayError('EMB-E115', `The catalog entry of ${slot} is invalid at "${field}": ${why}.`, { slot, field });
}

function validateEntry(raw: unknown, index: number): CatalogEntry {
  const slotName = typeof raw === 'object' && raw !== null && typeof (raw as { slot?: unknown }).slot === 'string'
    ? String((raw as { slot: string }).slot).slice(0, 20)
    : `slots[${index}]`;
  const parsed = EntrySchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue ? issue.path.map(String).join('.') || '(entry)' : '(entry)';
    throw invalid(slotName, field, issue?.message ?? 'invalid');
  }
  const e = parsed.data;
  const variantNames = Object.keys(e.variants) as ModelVariant[];
  if (e.status === 'none') {
    if (e.repo !== null || e.revision !== null || e.defaultVariant !== null || variantNames.length > 0) {
      throw invalid(e.slot, 'status', 'a slot with no model has no repo, revision or variants');
    }
    return e;
  }
  if (e.repo === null) throw invalid(e.slot, 'repo', 'a slot with a model needs a repository');
  if (e.revision === null) throw invalid(e.slot, 'revision', 'a slot with a model needs a revision ("main" when no commit is known)');
  if (e.defaultVariant === null || !e.variants[e.defaultVariant]) throw invalid(e.slot, 'defaultVariant', 'it must name one of the listed variants');
  for (const name of variantNames) {
    const files = e.variants[name]?.files ?? [];
    if (files.filter((f) => f.role === 'model').length !== 1) throw invalid(e.slot, `variants.${name}.files`, 'a variant has exactly one file with role "model"');
    const seen = new Set<string>();
    for (const f of files) {
      try {
        assertRepoPath(f.path);
      } catch (err) {
        throw new ModelbayError('EMB-E111', `The catalog entry of ${e.slot} names the file "${f.path.slice(0, 200)}", which would leave the repository: refused.`, { slot: e.slot, field: `variants.${name}.files`, path: f.path.slice(0, 200) }, { cause: err });
      }
      if (seen.has(f.path)) throw invalid(e.slot, `variants.${name}.files`, `"${f.path}" is listed twice`);
      seen.add(f.path);
    }
  }
  return e;
}

/** Validates a parsed catalog document: every one of the 13 slots exactly once. */
export function parseCatalog(doc: unknown): Catalog {
  const top = CatalogSchema.safeParse(doc);
  if (!top.success) {
    const issue = top.error.issues[0];
    throw new ModelbayError('EMB-E115', `The catalog is invalid at "${issue?.path.map(String).join('.') || '(root)'}": ${issue?.message ?? 'invalid'}.`, { field: issue?.path.map(String).join('.') ?? null });
  }
  const out: Partial<Record<SlotId, CatalogEntry>> = {};
  top.data.slots.forEach((raw, i) => {
    const e = validateEntry(raw, i);
    if (out[e.slot]) throw invalid(e.slot, 'slot', 'the slot appears twice');
    out[e.slot] = e;
  });
  const absent = SLOT_IDS.filter((s) => !out[s]);
  if (absent.length > 0) throw new ModelbayError('EMB-E115', `The catalog has no entry for ${absent.join(', ')}.`, { slots: absent, field: 'slots' });
  return out as Catalog;
}

export async function loadCatalog(path: string): Promise<Catalog> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ModelbayError('EMB-E115', `The catalog ${path} cannot be read.`, { path }, { cause: err });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ModelbayError('EMB-E115', `The catalog ${path} is not valid JSON.`, { path }, { cause: err });
  }
  return parseCatalog(doc);
}

/** The slot's model as used now: the user's source wins over the catalog entry. */
export function slotModel(entry: CatalogEntry, source: SlotSource | null | undefined): SlotModel | null {
  if (source) {
    const files: CatalogFile[] = [
      { path: assertRepoPath(source.model), role: 'model', size: null, sha256: null },
      ...source.externalData.map((p): CatalogFile => ({ path: assertRepoPath(p), role: 'external-data', size: null, sha256: null })),
    ];
    if (source.tokenizer) files.push({ path: assertRepoPath(source.tokenizer), role: 'tokenizer', size: null, sha256: null });
    return {
      slot: entry.slot,
      status: 'real',
      origin: 'user',
      repo: source.repo,
      revision: source.revision,
      variant: null,
      files,
      dims: source.dims,
      pooling: source.pooling,
      license: null,
      gated: false,
      note: `Your model: ${source.repo}@${source.revision} (${source.model}).`,
    };
  }
  if (entry.status === 'none' || entry.repo === null || entry.revision === null || entry.defaultVariant === null) return null;
  return {
    slot: entry.slot,
    status: entry.status,
    origin: 'catalog',
    repo: entry.repo,
    revision: entry.revision,
    variant: entry.defaultVariant,
    files: entry.variants[entry.defaultVariant]?.files ?? [],
    dims: entry.dims,
    pooling: entry.pooling,
    license: entry.license,
    gated: entry.gated,
    note: entry.note,
  };
}

export function slotView(entry: CatalogEntry, model: SlotModel | null): CatalogSlotView {
  if (!model) {
    return { slot: entry.slot, status: 'none', repo: null, revision: null, variant: null, files: [], dims: entry.dims, pooling: null, license: entry.license, gated: entry.gated, note: entry.note ?? 'No default model — choose one.' };
  }
  const files: CatalogFileView[] = model.files.map((f) => ({ path: f.path, role: f.role, size: f.size, sha256: f.sha256 }));
  return { slot: model.slot, status: model.status, repo: model.repo, revision: model.revision, variant: model.variant, files, dims: model.dims, pooling: model.pooling, license: model.license, gated: model.gated, note: model.note };
}
