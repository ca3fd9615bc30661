/** The runtime's public surface for src/main/app/app.ts: launchers, host pool, session factory, estimate. */
export { ForkLauncher, type ForkLauncherOptions } from './fork-launcher.js';
export { UtilityProcessLauncher, type UtilityLauncherOptions, type UtilityProcessApi, type UtilityProcessLike } from './utility-launcher.js';
export type { HostChannel, HostExit, HostLauncher } from './launcher.js';
export { HostPool, type HostLease, type HostPoolOptions } from './host-pool.js';
export { SessionHost, type SessionHostOptions } from './session-host.js';
export {
  OnnxModelSession,
  OnnxSessionFactory,
  parseDevice,
  splitEmbeddings,
  type Embeddings,
  type ServeCall,
  type OnnxSessionFactoryOptions,
  type ProcessGpuMemoryReader,
  type SlotFileResolver,
  type SlotFiles,
} from './session-factory.js';
export { CUDA_CONTEXT_BYTES, estimateSessionBytes, estimateSessionMemory, type EstimateInput, type MemoryEstimate } from './memory-estimate.js';
export type { EmbedInput, EmbedOutput, HostLoadOptions, HostStats, LoadResult, PoolingMode, ServeResult } from './protocol.js';
export { ModelShapeCache, readModelShape, type ModelShape } from './model-shape.js';
