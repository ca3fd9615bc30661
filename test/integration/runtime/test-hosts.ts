/**
 * Session hosts for tests: the real host entry run from TypeScript sources with tsx, in
 * real child processes. Other suites (the app's end-to-end tests) can reuse these.
 */
import type { ForkLauncher } from '../../../src/main/core/runtime/fork-launcher.js';
import { HostPool, type HostPoolOptions } from '../../../src/main/core/runtime/host-pool.js';
import type { SlotFiles } from '../../../src/main/core/runtime/session-factory.js';
import type { EmbeddingModel } from '../../../src/devkit/onnx/embedding-model.js';
import { HOST_ENTRY, sourceHostLauncher } from '../../../src/devkit/source-host.js';

export { HOST_ENTRY };

export function testLauncher(): ForkLauncher {
  return sourceHostLauncher();
}

export function testPool(options: Partial<HostPoolOptions> = {}): HostPool {
  return new HostPool({ launcher: testLauncher(), ...options });
}

export function filesOf(m: EmbeddingModel, overrides: Partial<SlotFiles> = {}): SlotFiles {
  return { model: m.modelPath, externalData: m.externalData, tokenizer: m.tokenizerPath, pooling: 'mean', dims: m.dim, ...overrides };
}

export function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

export const signal = (): AbortSignal => new AbortController().signal;
