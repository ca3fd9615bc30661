/**
 * Puts a model found on disk into a slot without downloading it: the slot's source
 * becomes that repository at that exact commit, its files are verified (a Hub blob is
 * named by its sha256, so this checks what another program wrote), and only then is the
 * choice saved. A model that fails verification leaves the slot as it was.
 */
import type { AssignResult } from '../../../../shared/contract/api.js';
import { ModelbayError } from '../../../../shared/errors/errors.js';
import { SlotSourceSchema, type SlotSource } from '../../../../shared/settings/settings.js';
import type { SlotId } from '../../../../shared/slots/slots.js';
import type { DiskDiscovery } from '../cache/disk-discovery.js';
import type { ArtifactManager } from './types.js';

export interface AssignDeps {
  discovery: DiskDiscovery;
  artifacts: Pick<ArtifactManager, 'setSlotSource' | 'verify' | 'readiness'>;
  /** The slot's own source now (null = the catalog default), put back when verification fails. */
  currentSource: (slot: SlotId) => SlotSource | null;
  /** Save the new source; a failure puts the old one back. */
  persist: (slot: SlotId, source: SlotSource | null) => Promise<void>;
}

export async function assignDiskModel(deps: AssignDeps, slot: SlotId, id: string): Promise<AssignResult> {
  // The disk may have changed since the user saw the list: decide on a fresh scan.
  await deps.discovery.scan();
  const model = deps.discovery.find(id);
  if (!model) throw new ModelbayError('EMB-E130', `"${id.slice(0, 300)}" is not on disk any more; scan the disk again.`, { slot, model: id.slice(0, 300) });
  if (model.origin !== 'hf-cache' || !model.repo || !model.commit) {
    throw new ModelbayError('EMB-E133', `${model.model} in ${model.folder ?? 'a local folder'} is listed, but Modelbay runs models from the Hugging Face cache only: upload the folder to a Hub repository (or your own Hub mirror) and assign it from there.`, { slot, model: id });
  }
  if (!model.complete) {
    const code = model.problems.some((p) => p.includes('owner/name')) ? 'EMB-E133' : 'EMB-E131';
    throw new ModelbayError(code, `${model.repo}@${model.commit.slice(0, 12)} ${model.model} cannot be assigned: ${model.problems.join('; ')}.`, { slot, model: id, problems: model.problems });
  }
  const source = SlotSourceSchema.parse({
    repo: model.repo,
    // The exact commit: a branch moved by another program must not change the slot behind the user's back.
    revision: model.commit,
    model: model.model,
    externalData: model.externalData,
    tokenizer: model.tokenizer,
    pooling: model.pooling ?? 'mean',
  });
  const previous = deps.currentSource(slot);
  const catalog = deps.artifacts.setSlotSource(slot, source);
  const restore = async (): Promise<void> => {
    deps.artifacts.setSlotSource(slot, previous);
    // The slot's state must say where it stands again before the caller hears of the failure.
    await deps.artifacts.readiness().catch(() => undefined);
  };
  let verify;
  try {
    verify = await deps.artifacts.verify(slot);
  } catch (e) {
    await restore();
    throw e;
  }
  if (!verify.ok) {
    await restore();
    const bad = verify.files.filter((f) => !f.ok);
    throw new ModelbayError('EMB-E108', `${model.repo}@${model.commit.slice(0, 12)} failed verification (${bad.map((f) => `${f.path}: ${f.reason ?? 'bad'}`).join('; ')}); ${slot} keeps its model.`, { slot, model: id, files: bad });
  }
  try {
    await deps.persist(slot, source);
  } catch (e) {
    await restore();
    throw e;
  }
  await deps.discovery.refreshUsage();
  return { slot, model: deps.discovery.find(id) ?? model, catalog, verify };
}
