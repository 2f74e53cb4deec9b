/**
 * Backend names, fastest first, apart from the code that loads them so the
 * extension can offer them without bundling tfjs.
 */
export const BACKENDS = ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];
export type BackendRequest = BackendName | 'auto';

