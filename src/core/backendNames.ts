/**
 * Backend names, fastest first, apart from the code that loads them so the
 * extension can offer them without bundling tfjs.
 */
export const BACKENDS = ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];
export type BackendRequest = BackendName | 'auto';

/** Whether a backend can load here, found without making it tfjs's backend. */
export interface BackendAvailability {
  name: BackendName;
  /** Why it cannot load here; absent when it can. */
  unavailable?: string;
  /** Where it would train, for the user (as BackendChoice.description); absent when unavailable. */
  description?: string;
  /** It loads, but only on a software adapter, slower than wasm. */
  software?: boolean;
}
