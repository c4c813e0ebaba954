import { enableTraining } from '../../src/enable-training';

/**
 * Loads tfjs's wasm backend with Tim's kernels installed for it, as an application's backend
 * selection does; false where the backend does not load. The backend starts on setBackend('wasm').
 */
export function loadWasmForTraining(): boolean {
  try {
    require('@tensorflow/tfjs-backend-wasm');
  } catch {
    return false;
  }
  enableTraining('wasm');
  return true;
}
