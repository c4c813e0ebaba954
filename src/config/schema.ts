import { z } from 'zod';
import { IMAGENET_MEAN, IMAGENET_STD } from '../core/imagenet';
import { MAGNITUDE_BINS, POLICY_PATTERN } from '../data/policy';

/**
 * The training configuration. Every key is snake_case as written in the YAML files; objects
 * are strict so that a typo is an error rather than a silently ignored setting.
 */
const triple = z.tuple([z.number(), z.number(), z.number()]);

export const RESIZE_MODES = ['letterbox', 'stretch'] as const;
export type ResizeMode = (typeof RESIZE_MODES)[number];

export const LOSS_KINDS = ['cross_entropy', 'logit_adjusted'] as const;

export const BACKEND_CHOICES = ['auto', 'gpu', 'webgpu', 'node', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

export const dataSchema = z.strictObject({
  root: z.string().min(1),
  image_size: z.number().int().min(16).max(1024).default(224),
  resize: z.enum(RESIZE_MODES).default('letterbox'),
  val_fraction: z.number().gt(0).lt(1).default(0.2),
  cache: z.boolean().default(true),
  /** Where decoded images are cached; defaults to `$XDG_CACHE_HOME/tim/<data folder>-<hash>`. */
  cache_dir: z.string().optional(),
  /** Seed of the train/validation split; defaults to the run's `seed`, so a seed sweep can keep one split. */
  split_seed: z.number().int().optional(),
  /** Stratified k-fold cross-validation: the images are dealt into `folds` parts... */
  folds: z.number().int().min(2).optional(),
  /** ...and fold `fold` (0-based) is held out; `val_fraction` is then unused. */
  fold: z.number().int().min(0).optional(),
  /** Keep each group of near-duplicate images (perceptual hash) on one side of the split. */
  near_duplicates: z.boolean().default(true),
  /** Leave-artists-out: train without these class folders; evaluation measures unknown-artist detection on their images. */
  unknown_classes: z.array(z.string().min(1)).default([]),
}).superRefine((d, ctx) => {
  if ((d.folds === undefined) !== (d.fold === undefined)) {
    const given = d.folds === undefined ? `data.fold ${d.fold} without data.folds` : `data.folds ${d.folds} without data.fold`;
    ctx.addIssue({ code: 'custom', path: [d.folds === undefined ? 'folds' : 'fold'], message: `${given}: data.folds and data.fold go together (e.g. folds: 5, fold: 0)` });
  } else if (d.folds !== undefined && d.fold !== undefined && d.fold >= d.folds) {
    ctx.addIssue({ code: 'custom', path: ['fold'], message: `fold ${d.fold} is out of range; folds are 0-based, 0 to ${d.folds - 1}` });
  }
});

/** Dividing by a standard deviation of 0 would make every input NaN. */
const positiveTriple = z.tuple([z.number().gt(0), z.number().gt(0), z.number().gt(0)]);

export const normalizeSchema = z.strictObject({
  mean: triple.default(IMAGENET_MEAN),
  std: positiveTriple.default(IMAGENET_STD),
});

/** An increasing pair [lo, hi] of positive numbers. */
const range = (max = Number.MAX_VALUE) =>
  z.tuple([z.number().gt(0).max(max), z.number().gt(0).max(max)]).refine(([lo, hi]) => lo <= hi, 'expected [lo, hi] with lo <= hi');

/** torchvision's RandomResizedCrop; its defaults when the key is given. */
export const randomResizedCropSchema = z.strictObject({
  scale: range(1).default([0.08, 1]),
  ratio: range().default([3 / 4, 4 / 3]),
});

/** timm's Mixup in batch mode; at least one of alpha (mixup) and cutmix_alpha (CutMix) must be above 0. */
export const mixupSchema = z.strictObject({
  alpha: z.number().min(0).default(0),
  cutmix_alpha: z.number().min(0).default(0),
  prob: z.number().min(0).max(1).default(1),
  switch_prob: z.number().min(0).max(1).default(0.5),
  label_smoothing: z.number().min(0).lt(1).default(0.1),
}).refine((m) => m.alpha > 0 || m.cutmix_alpha > 0, 'give alpha (mixup) or cutmix_alpha (CutMix) above 0');

export const augmentSchema = z.strictObject({
  hflip: z.number().min(0).max(1).default(0.5),
  rotate_degrees: z.number().min(0).max(180).default(10),
  color_jitter: triple.default([0.1, 0.1, 0.1]),
  normalize: normalizeSchema.prefault({}),
  /** Off unless given; `true` takes torchvision's defaults (a sweep's `set:` holds no mappings). */
  random_resized_crop: z.preprocess((v) => (v === true ? {} : v === false ? undefined : v), randomResizedCropSchema.optional()),
  /** none, trivialaugment, or randaugment(n, m) with m a magnitude bin 0..30. */
  policy: z.string().regex(POLICY_PATTERN, 'expected none, trivialaugment or randaugment(n, m), e.g. randaugment(2, 9)')
    .refine((p) => { const m = POLICY_PATTERN.exec(p.trim()); return !m?.[3] || Number(m[3]) < MAGNITUDE_BINS; }, `randaugment's magnitude m is a bin from 0 to ${MAGNITUDE_BINS - 1}`)
    .default('none'),
  /** Off unless given; it replaces train.label_smoothing with its own. */
  mixup: mixupSchema.optional(),
});

export const modelSchema = z.strictObject({
  arch: z.string().min(1),
  /** A weight file (.pth, .pt, .safetensors, model.json) or `none`. */
  pretrained: z.string().default('none'),
  freeze_backbone: z.boolean().default(false),
  /**
   * The reference never trained the ResNet stem (it was in no group); Tim puts the stem in
   * the `early` group by default, and `frozen` reproduces the reference.
   */
  stem: z.enum(['early', 'frozen']).default('early'),
});

export const earlyStoppingSchema = z.strictObject({
  monitor: z.enum(['val_acc', 'val_loss']).default('val_acc'),
  patience: z.number().int().min(1).default(5),
  min_delta: z.number().min(0).default(0),
});

export const plateauSchema = z.strictObject({
  monitor: z.enum(['val_acc', 'val_loss']).default('val_loss'),
  factor: z.number().gt(0).lt(1).default(0.1),
  patience: z.number().int().min(0).default(2),
  min_lr: z.number().min(0).default(0),
});

export const scheduleSchema = z.strictObject({
  type: z.enum(['constant', 'cosine']).default('constant'),
  warmup_epochs: z.number().min(0).default(0),
  min_factor: z.number().min(0).max(1).default(0),
});

export const lrGroupsSchema = z.strictObject({
  early: z.number().min(0).default(1e-6),
  middle: z.number().min(0).default(1e-5),
  head: z.number().min(0).default(1e-3),
});

/** Per-group overrides of train.weight_decay; a group left out takes train.weight_decay. */
export const weightDecayGroupsSchema = z.strictObject({
  early: z.number().min(0).optional(),
  middle: z.number().min(0).optional(),
  head: z.number().min(0).optional(),
});

/** An exponential moving average of the weights and BatchNorm statistics (timm's ModelEma). */
export const emaSchema = z.strictObject({
  decay: z.number().gt(0).lt(1).default(0.9998),
  /** Decay min(decay, (1 + n)/(10 + n)) at the n-th update (0-based), so early averages forget the initial weights. */
  warmup: z.boolean().default(false),
});

export const trainSchema = z.strictObject({
  epochs: z.number().int().min(1).default(20),
  batch_size: z.number().int().min(1).default(32),
  /** Gradient accumulation: images per forward/backward pass; omitted means chosen for the backend. */
  micro_batch: z.number().int().min(1).optional(),
  lr_groups: lrGroupsSchema.prefault({}),
  adam_epsilon: z.number().gt(0).default(1e-8),
  /** Decoupled weight decay (torch.optim.AdamW's); 0 is the reference's plain Adam. */
  weight_decay: z.number().min(0).default(0),
  weight_decay_groups: weightDecayGroupsSchema.optional(),
  /** Decay the 1-D weights too (norm scales and shifts, biases, LayerScale gammas), which timm leaves undecayed. */
  weight_decay_1d: z.boolean().default(false),
  /** Validation, best/ and evaluation use the moving average of the weights; absent: off. */
  ema: emaSchema.optional(),
  /** Epochs that train the head alone with the backbone in inference mode before every group trains (fastai's fine_tune). */
  freeze_epochs: z.number().int().min(0).default(0),
  early_stopping: earlyStoppingSchema.prefault({}),
  reduce_lr_on_plateau: plateauSchema.optional(),
  schedule: scheduleSchema.prefault({}),
  label_smoothing: z.number().min(0).lt(1).default(0),
  class_weights: z.enum(['none', 'balanced']).default('none'),
  /** logit_adjusted: cross-entropy on logits + tau·log(training class priors), in training only (Menon et al. 2021). */
  loss: z.enum(LOSS_KINDS).default('cross_entropy'),
  /** The tau of the logit-adjusted loss; unused with cross_entropy. */
  tau: z.number().min(0).default(1),
  /** Caps the images per epoch (training and validation), for smoke runs and tests. */
  max_batches_per_epoch: z.number().int().min(1).optional(),
});

export const runtimeSchema = z.strictObject({
  backend: z.enum(BACKEND_CHOICES).default('auto'),
  // Once accepted and never read: refused with where the setting really is, not silently ignored.
  threads: z
    .unknown()
    .refine((v) => v === undefined, "is not read by Tim: the wasm backend's threads come from the environment variable TIM_WASM_THREADS")
    .optional(),
});

export const configSchema = z.strictObject({
  // A run folder's name under the checkpoints root: no path separators, and not '.', '..' or
  // any hidden name, which would point at the root itself, its parent or Tim's own swap files.
  name: z.string().regex(/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" and "-" only, not starting with "."'),
  seed: z.number().int().default(42),
  data: dataSchema,
  // Each default is written once, on its key: a missing section is parsed as an empty one.
  augment: augmentSchema.prefault({}),
  model: modelSchema,
  train: trainSchema.prefault({}),
  runtime: runtimeSchema.prefault({}),
}).superRefine((c, ctx) => {
  // Mixup's targets carry their own smoothing (timm's mixup_target); two would be applied silently.
  if (c.augment.mixup && c.train.label_smoothing > 0) {
    ctx.addIssue({ code: 'custom', path: ['train', 'label_smoothing'], input: c.train.label_smoothing, message: 'with augment.mixup the targets are smoothed by augment.mixup.label_smoothing; set train.label_smoothing to 0' });
  }
});

export type TimConfig = z.infer<typeof configSchema>;
export type DataConfig = TimConfig['data'];
export type AugmentConfig = TimConfig['augment'];
export type ModelConfig = TimConfig['model'];
export type TrainConfig = TimConfig['train'];
