import { z } from 'zod';
import { figure, jsonFile } from './json-file';
import { RUN_FILES } from './names';
import { preprocessSpecSchema } from './preprocess';

/**
 * metrics.json: written last by `tim evaluate` (its presence says the evaluation finished),
 * into the run or into the folder of an external evaluation. Figures that can be undefined
 * (NaN, written as null) are `figure`s.
 */

/** The metrics that get a bootstrap interval (the keys of metrics.json's headline section). */
export const HEADLINE_METRICS = ['accuracy', 'precision_weighted', 'recall_weighted', 'f1_weighted', 'precision_macro', 'recall_macro', 'f1_macro'] as const;
export type HeadlineMetric = (typeof HEADLINE_METRICS)[number];

/** Test-time augmentation: none, or the mean of the image and its mirror image. */
export const TTA_MODES = ['none', 'flip'] as const;
export type TtaMode = (typeof TTA_MODES)[number];

const headlineShape = Object.fromEntries(HEADLINE_METRICS.map((k) => [k, figure])) as Record<HeadlineMetric, typeof figure>;

const bootstrapIntervalSchema = z.object({ mean: figure, lo: figure, hi: figure });
export type BootstrapInterval = z.output<typeof bootstrapIntervalSchema>;

export const bootstrapResultSchema = z.object({
  resamples: z.number(),
  seed: z.number(),
  sample_fraction: z.number(),
  sample_size: z.number(),
  confidence: z.number(),
  method: z.literal('percentile'),
  metrics: z.object(Object.fromEntries(HEADLINE_METRICS.map((k) => [k, bootstrapIntervalSchema])) as Record<HeadlineMetric, typeof bootstrapIntervalSchema>),
});
export type BootstrapResult = z.output<typeof bootstrapResultSchema>;

const perClassRowSchema = z.object({ class: z.string(), precision: figure, recall: figure, f1: figure, support: z.number() });
export type PerClassMetricsRow = z.output<typeof perClassRowSchema>;

/** One off-diagonal cell of the confusion matrix: true class mistaken for another. */
const confusionSchema = z.object({
  true_label: z.string(),
  pred_label: z.string(),
  count: z.number(),
  /** Share of the true class's samples that went to this wrong class. */
  rate: figure,
  /** A few of the misclassified files (paths as in the split), in evaluation order. */
  examples: z.array(z.string()),
});
export type Confusion = z.output<typeof confusionSchema>;

/** The post-hoc adjustment the predictions went through: tau and the training priors, by class. */
const logitAdjustSchema = z.object({ tau: z.number(), priors: z.record(z.string(), z.number()) });
export type LogitAdjustRecord = z.output<typeof logitAdjustSchema>;

/** A figure and its percentile-bootstrap interval. */
const estimateSchema = z.object({ value: figure, lo: figure, hi: figure });
export type Estimate = z.output<typeof estimateSchema>;

const calibrationScoresSchema = z.object({ ece: estimateSchema, nll: estimateSchema, brier: estimateSchema });

const reliabilityBinSchema = z.object({
  lo: z.number(),
  hi: z.number(),
  count: z.number(),
  /** Mean top probability of the images in the bin (0 when empty). */
  confidence: figure,
  /** Share of them whose top class is right (0 when empty). */
  accuracy: figure,
});
export type ReliabilityBin = z.output<typeof reliabilityBinSchema>;

export const calibrationSectionSchema = z.object({
  /** T fitted on every evaluated image: what calibration.json keeps and predict uses. */
  temperature: figure,
  ece_bins: z.number(),
  /** T fitted on each stratified half, applied to the other. */
  cross_fit: z.object({ seed: z.number(), temperatures: z.tuple([figure, figure]) }),
  before: calibrationScoresSchema,
  /** Cross-fitted: no image is scored with a temperature fitted on it. */
  after: calibrationScoresSchema,
  reliability: z.object({ before: z.array(reliabilityBinSchema), after: z.array(reliabilityBinSchema) }),
});
export type CalibrationSection = z.output<typeof calibrationSectionSchema>;

const detectionSectionSchema = z.object({
  /** Where the images of other artists came from. */
  source: z.string(),
  unknown_images: z.number(),
  known_images: z.number(),
  /** AUROC of the calibrated top probability (known artists high). */
  auroc: estimateSchema,
  /** AUROC of minus the energy score. */
  auroc_energy: estimateSchema,
  /** Share of the other artists' images at or above the threshold (answered with an artist). */
  false_acceptance_rate: estimateSchema,
});
export type DetectionSection = z.output<typeof detectionSectionSchema>;

export const UNKNOWN_SCORE = 'calibrated_top_probability';

const unknownSectionSchema = z.object({
  score: z.literal(UNKNOWN_SCORE),
  /** Share of the known artists' images the threshold keeps, by construction on all of them. */
  keep: figure,
  threshold: figure,
  /** Share of the known artists' images below the threshold, each half scored with the T and threshold of the other half. */
  known_rejection_rate: estimateSchema,
  detection: detectionSectionSchema.optional(),
});
export type UnknownSection = z.output<typeof unknownSectionSchema>;

export const metricsSchema = z.looseObject({
  ...headlineShape,
  /**
   * Mean recall over the classes present (scikit-learn's balanced_accuracy_score). Absent from
   * runs evaluated before 2026-12-06 (36227e7); nothing reads it back.
   */
  balanced_accuracy: figure.optional(),
  top3_accuracy: figure,
  ece: figure,
  ece_bins: z.number(),
  num_samples: z.number(),
  num_classes: z.number(),
  split: z.enum(['val', 'external']),
  data_root: z.string(),
  tta: z.enum(TTA_MODES),
  preprocess: preprocessSpecSchema,
  per_class: z.array(perClassRowSchema),
  /** Present when the predictions are post-hoc logit-adjusted (`evaluate --logit-adjust TAU`). */
  logit_adjust: logitAdjustSchema.optional(),
  bootstrap: bootstrapResultSchema,
  confusions: z.array(confusionSchema),
  evaluated_at: z.string(),
  /**
   * Calibration before and after temperature scaling, and the unknown-artist threshold: absent
   * with fewer than 2 images or classes, and from runs evaluated before 2026-12-06 (abecb05).
   */
  calibration: calibrationSectionSchema.optional(),
  unknown: unknownSectionSchema.optional(),
});
export type MetricsFile = z.output<typeof metricsSchema>;

export const metricsFile = jsonFile({ name: RUN_FILES.metrics, schema: metricsSchema });
