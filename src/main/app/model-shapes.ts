/**
 * Each slot's model shape (hidden size, attention, outputs), read from its files once they
 * are in place, so the memory estimate stops assuming and uses the real model. It reads
 * files through the artifact manager and tells the registry to estimate again; nothing
 * calls back into the App.
 */
import type { SlotId } from '../../shared/slots/slots.js';
import type { ArtifactManager } from '../core/artifacts/manager/types.js';
import { ModelShapeCache, type ModelShape } from '../core/runtime/index.js';

export interface ModelShapesOptions {
  resolveFiles: ArtifactManager['resolveFiles'];
  /** The registry's refreshEstimates: estimate these slots again. */
  refreshEstimates: (slots: readonly SlotId[]) => void;
}

export class ModelShapes {
  private readonly shapes = new ModelShapeCache();

  constructor(private readonly options: ModelShapesOptions) {}

  /** What the estimator knows of the slot's model (null until learned). */
  shapeOf(slot: SlotId): ModelShape | null {
    return this.shapes.get(slot);
  }

  /** Read the model's own shape from its files, then estimate again. */
  async learn(slot: SlotId): Promise<void> {
    const files = await this.options.resolveFiles(slot, AbortSignal.timeout(30_000));
    this.shapes.learn(slot, files.model, files.tokenizer);
    this.options.refreshEstimates([slot]);
  }

  learnLater(slot: SlotId): void {
    this.learn(slot).catch(() => {
      // Files not in place after all: the estimate keeps its assumed shape; a load will say what is wrong.
      this.options.refreshEstimates([slot]);
    });
  }
}
