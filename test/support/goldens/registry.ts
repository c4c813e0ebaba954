import { metricsCases } from './cases/sklearn-metrics';
import { lossCases } from './cases/torch-loss';
import { batchNormCases } from './cases/torch-batchnorm';
import { LETTERBOX_CASES, letterboxInputName, letterboxOutputName, letterboxPixels, ppm } from './cases/pillow-letterbox';
import { JITTER_FACTORS, JITTER_ORDER, JITTER_SHAPE, jitterInput } from './cases/torchvision-jitter';
import { pairedStatsCases } from './cases/paired-stats';
import { calibrationCases } from './cases/calibration';
import { HASH_CASES, hashInputName, hashInputs } from './cases/perceptual-hash';
import type { GoldenEntry } from './types';

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));
const float32 = (values: Float32Array): Buffer => Buffer.from(values.buffer, values.byteOffset, values.byteLength);

/**
 * Every golden file the tests read, with the script that makes it. To add one: write the
 * generator in `scripts/`, its seeded inputs in `cases/`, an entry here, then
 * `npm run goldens -- NAME` and commit `test/fixtures/golden/NAME/`; `npm run test:refs` then
 * checks it against the Debian packages.
 */
export const GOLDENS: GoldenEntry[] = [
  {
    name: 'sklearn-metrics',
    script: 'scripts/eval_sklearn_metrics.py',
    about: 'scikit-learn 1.2 accuracy, confusion, precision/recall/F1, top-3 and a 15-bin ECE',
    inputs: () => ({ 'cases.json': json({ cases: metricsCases() }) }),
    runs: () => [['{in}/cases.json', '{out}/metrics.json']],
  },
  {
    name: 'torch-loss',
    script: 'scripts/train_torch_loss.py',
    about: "PyTorch 1.13 label-smoothed and class-weighted cross-entropy, scikit-learn's balanced class weights",
    inputs: () => ({ 'cases.json': json({ cases: lossCases() }) }),
    runs: () => [['{in}/cases.json', '{out}/losses.json']],
  },
  {
    name: 'torch-batchnorm',
    script: 'scripts/models_torch_batchnorm.py',
    about: 'PyTorch 1.13 BatchNorm2d/1d in training mode: running mean and variance after one or more passes, and the output',
    inputs: () => ({ 'cases.json': json({ cases: batchNormCases() }) }),
    runs: () => [['{in}/cases.json', '{out}/batchnorm.json']],
    // float32 reductions whose order may differ between CPUs.
    compare: { 'batchnorm.json': { kind: 'json', atol: 1e-6, rtol: 1e-6 } },
  },
  {
    name: 'pillow-letterbox',
    script: 'scripts/data_pillow_letterbox.py',
    about: 'Pillow ImageOps.pad (bicubic, black, centred) pixels, raw RGB',
    inputs: () => Object.fromEntries(LETTERBOX_CASES.map(([w, h]) => [letterboxInputName(w, h), ppm(letterboxPixels(w, h), w, h)])),
    runs: () => LETTERBOX_CASES.map(([w, h, size]) => ['pad', `{in}/${letterboxInputName(w, h)}`, String(size), `{out}/${letterboxOutputName(w, h, size)}`]),
  },
  {
    name: 'torchvision-jitter',
    script: 'scripts/data_torchvision_jitter.py',
    about: 'torchvision adjust_contrast, adjust_saturation, adjust_brightness on one float32 HWC image',
    inputs: () => ({ 'image.f32': float32(jitterInput()) }),
    runs: () => [['{in}/image.f32', String(JITTER_SHAPE.height), String(JITTER_SHAPE.width), '{out}/jittered.f32', ...JITTER_ORDER.map((op) => `${op}=${JITTER_FACTORS[op][0]}`)]],
    // float32 arithmetic whose vectorisation may differ between CPUs.
    compare: { 'jittered.f32': { kind: 'float32', atol: 1e-6 } },
  },
  {
    name: 'models-tiny',
    script: 'scripts/models_make_fixtures.py',
    about: 'a torch tiny_cnn as .pth, .safetensors and checkpoint with its input and logits; tensors of every dtype; a legacy torch file; a plain pickle',
    inputs: () => ({}),
    runs: () => [['{out}', '--tiny']],
    compare: {
      // The logits come from float32 convolutions, whose summation order may differ between CPUs.
      'tiny_cnn_io.safetensors': { kind: 'safetensors', atol: 1e-6, rtol: 1e-5 },
      'legacy.pth': { kind: 'torch-load' },
    },
  },
  {
    name: 'paired-stats',
    script: 'scripts/eval_paired_stats.py',
    about: "statsmodels 0.13 exact McNemar and Holm, scipy 1.10 t-intervals, scikit-learn/numpy paired bootstrap differences on fixed resamples",
    inputs: () => ({ 'cases.json': json(pairedStatsCases()) }),
    runs: () => [['{in}/cases.json', '{out}/stats.json']],
  },
  {
    name: 'calibration',
    script: 'scripts/eval_calibration.py',
    about: "PyTorch 1.13 LBFGS temperature, numpy ECE and Brier score, scikit-learn 1.2 log_loss and roc_auc_score",
    inputs: () => ({ 'cases.json': json(calibrationCases()) }),
    runs: () => [['{in}/cases.json', '{out}/calibration.json']],
    // LBFGS stops at its tolerance; the optimiser's path may differ between CPUs in the last digits.
    compare: { 'calibration.json': { kind: 'json', atol: 1e-9, rtol: 1e-9 } },
  },
  {
    name: 'perceptual-hash',
    script: 'scripts/data_perceptual_hash.py',
    about: 'a 64-bit DCT perceptual hash of Pillow-decoded images (numpy area average, scipy.fftpack DCT-II)',
    inputs: hashInputs,
    runs: () => [['{out}/hashes.json', ...HASH_CASES.map(([w, h]) => `{in}/${hashInputName(w, h)}`)]],
  },
];

export function goldenEntry(name: string): GoldenEntry {
  const entry = GOLDENS.find((g) => g.name === name);
  if (!entry) throw new Error(`no golden named '${name}' in test/support/goldens/registry.ts; known: ${GOLDENS.map((g) => g.name).join(', ')}`);
  return entry;
}
