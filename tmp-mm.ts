import * as tf from '@tensorflow/tfjs';
import { loadWasm } from './src/runtime/backend';
async function main() {
  await loadWasm(); await tf.setBackend('wasm');
  const R = 8 * 56 * 56;
  const x = tf.randomNormal([R, 96]); const w = tf.randomNormal([96, 384]); const dy = tf.randomNormal([R, 384]);
  const x4 = tf.randomNormal([8, 56, 56, 64]); const f = tf.randomNormal([3, 3, 64, 64]);
  const cases: Record<string, [() => tf.Tensor, number]> = {
    'fwd x·W': [() => tf.matMul(x, w), R * 96 * 384],
    'dW xT·dy': [() => tf.matMul(x, dy, true, false), R * 96 * 384],
    'dx dy·WT': [() => tf.matMul(dy, w, false, true), R * 96 * 384],
    'conv3x3 64': [() => tf.conv2d(x4 as tf.Tensor4D, f as tf.Tensor4D, 1, 'same'), 8 * 56 * 56 * 64 * 9 * 64],
  };
  for (let rep = 0; rep < 3; rep++) {
    const line: string[] = [];
    for (const [name, [fn, macs]] of Object.entries(cases)) {
      const t0 = performance.now(); const r = fn(); await r.data(); r.dispose();
      const ms = performance.now() - t0;
      line.push(`${name}: ${(macs / ms / 1e6).toFixed(1)}`);
    }
    console.log(line.join(' | '));
  }
}
main();
