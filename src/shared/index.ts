export * from './slots.js';
export * from './errors.js';
export * from './state.js';
export * from './bytes.js';
export * from './activity.js';
export * from './artifacts.js';
export * from './gpu.js';
