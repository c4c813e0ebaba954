import { metricsCases } from './cases/sklearn-metrics';
import { lossCases } from './cases/torch-loss';
import { batchNormCases } from './cases/torch-batchnorm';
import { LETTERBOX_CASES, letterboxInputName, letterboxOutputName, letterboxPixels, ppm } from './cases/pillow-letterbox';
import { JITTER_FACTORS, JITTER_ORDER, JITTER_SHAPE, jitterInput } from './cases/torchvision-jitter';
import { pairedStatsCases } from './cases/paired-stats';
import { CROP_CASES, CROP_FALLBACKS, cropBoxOf, POLICY_CASES, POLICY_SIZES, policyImage } from './cases/torchvision-policy';
import { BETA_ALPHAS, cutmixCases, KS_SAMPLES, KS_SIGNIFICANCE, MIX_BATCH, MIX_CASES, mixBatch, mixTargetCases, softLossCases } from './cases/timm-mixup';
import { adamWCases } from './cases/torch-adamw';
import { emaCases } from './cases/torch-ema';
import { logitAdjustCases } from './cases/logit-adjust';
import { averageCases } from './cases/average';
import { lrFindCases } from './cases/lr-find';
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
    name: 'torchvision-policy',
    script: 'scripts/data_torchvision_policy.py',
    about: "torchvision 0.14 TrivialAugment/RandAugment operations (its _apply_op, nearest, no fill) and resized_crop (bilinear, antialias off and on) on uint8 images; both policies' magnitude bins; RandomResizedCrop's fallback crop",
    inputs: () => ({
      'cases.json': json({
        sizes: POLICY_SIZES,
        ops: POLICY_CASES,
        crops: Object.fromEntries(POLICY_SIZES.map((s) => [String(s), CROP_CASES.map((c) => cropBoxOf(c, s))])),
        fallbacks: CROP_FALLBACKS,
      }),
      ...Object.fromEntries(POLICY_SIZES.map((s) => [`image-${s}.u8`, Buffer.from(policyImage(s))])),
    }),
    runs: () => [['{in}/cases.json', '{in}', '{out}']],
  },
  {
    name: 'timm-mixup',
    script: 'scripts/train_timm_mixup.py',
    about: "PyTorch 1.13 cross_entropy with probability targets (and weight=); timm's mixup_target, rand_bbox with the corrected lam and batch mixing, followed in torch/numpy; scipy 1.10 Beta(a, a) quantiles and the Kolmogorov-Smirnov critical value",
    inputs: () => ({
      'cases.json': json({
        soft_loss: softLossCases(),
        mixup_targets: mixTargetCases(),
        cutmix: cutmixCases(),
        batch: MIX_BATCH,
        mix: MIX_CASES,
        beta_alphas: BETA_ALPHAS,
        ks_samples: KS_SAMPLES,
        ks_significance: KS_SIGNIFICANCE,
      }),
      'batch.f32': float32(mixBatch()),
    }),
    runs: () => [['{in}/cases.json', '{in}/batch.f32', '{out}']],
    // scipy's quantiles and float64 losses: the last digits may differ between CPUs.
    compare: { 'mixup.json': { kind: 'json', atol: 1e-9, rtol: 1e-9 }, 'mixed.f32': { kind: 'float32', atol: 1e-6 } },
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
    name: 'torch-adamw',
    script: 'scripts/train_torch_adamw.py',
    about: "PyTorch 1.13 torch.optim.AdamW steps with timm's param_groups_weight_decay exclusions (1-D and bias params undecayed)",
    inputs: () => ({ 'cases.json': json({ cases: adamWCases() }) }),
    runs: () => [['{in}/cases.json', '{out}/adamw.json']],
    // float32 square roots and divisions whose vectorisation may differ between CPUs.
    compare: { 'adamw.json': { kind: 'json', atol: 1e-7, rtol: 1e-6 } },
  },
  {
    name: 'torch-ema',
    script: 'scripts/train_torch_ema.py',
    about: "PyTorch 1.13 swa_utils.AveragedModel (buffers averaged too) with timm's EMA and its warm-up as the averaging function",
    inputs: () => ({ 'cases.json': json({ cases: emaCases() }) }),
    runs: () => [['{in}/cases.json', '{out}/ema.json']],
  },
  {
    name: 'torch-logit-adjust',
    script: 'scripts/train_torch_logit_adjust.py',
    about: 'PyTorch 1.13 cross-entropy on logits + tau·log(training priors), plain and class-weighted; the post-hoc softmax(logits − tau·log priors) and its argmax',
    inputs: () => ({ 'cases.json': json({ cases: logitAdjustCases() }) }),
    runs: () => [['{in}/cases.json', '{out}/logit-adjust.json']],
  },
  {
    name: 'sklearn-balanced-accuracy',
    script: 'scripts/eval_sklearn_balanced_accuracy.py',
    about: "scikit-learn 1.2 balanced_accuracy_score on the sklearn-metrics cases",
    inputs: () => ({ 'cases.json': json({ cases: metricsCases() }) }),
    runs: () => [['{in}/cases.json', '{out}/balanced-accuracy.json']],
  },
  {
    name: 'numpy-average',
    script: 'scripts/average_numpy_mean.py',
    about: 'numpy: the element-wise mean of checkpoints\' float32 weights, computed in float64 and rounded to float32',
    inputs: () => ({ 'weights.f32': float32(averageCases().values) }),
    runs: () => [['{in}/weights.f32', String(averageCases().runs), String(averageCases().length), '{out}/mean.f32']],
  },
  {
    name: 'numpy-lr-find',
    script: 'scripts/lrfind_numpy_suggestions.py',
    about: "fastai 2.7's lr_find arithmetic written with numpy: exponential rates, the debiased smoothed loss, the 4x stop, the steepest and valley suggestions",
    inputs: () => ({ 'cases.json': json({ cases: lrFindCases() }) }),
    runs: () => [['{in}/cases.json', '{out}/lr-find.json']],
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
