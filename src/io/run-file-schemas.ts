import { z } from 'zod';

/**
 * What Tim reads back from the JSON files of a run folder. Loose objects: a reader checks the
 * keys it uses and lets newer files carry more.
 */
export const labelsFileSchema = z.array(z.string()).min(1);

export const splitClassesSchema = z.looseObject({ classes: z.array(z.string()).optional() });

const finalMetricsSchema = z.looseObject({ train_loss: z.number(), train_acc: z.number(), val_loss: z.number(), val_acc: z.number() });

export const summaryFileSchema = z.looseObject({
  best_epoch: z.number().optional(),
  final: finalMetricsSchema.nullable().optional(),
  interrupted: z.boolean().optional(),
});

const intervalSchema = z.looseObject({ mean: z.number(), lo: z.number(), hi: z.number() });

export const headlineMetricsFileSchema = z.looseObject({
  accuracy: z.number(),
  f1_weighted: z.number(),
  f1_macro: z.number(),
  num_samples: z.number(),
  bootstrap: z.looseObject({
    metrics: z.looseObject({ accuracy: intervalSchema, f1_weighted: intervalSchema, f1_macro: intervalSchema }),
  }),
});

/**
 * calibration.json: the temperature that divides the logits before the softmax, and the
 * threshold on the calibrated top probability below which an image is "not confidently one
 * of the artists". Written by `evaluate` on the held-out split.
 */
export const calibrationFileSchema = z.looseObject({
  temperature: z.number().positive(),
  unknown: z.looseObject({
    score: z.literal('calibrated_top_probability'),
    threshold: z.number().min(0).max(1),
    keep: z.number().gt(0).max(1),
  }),
});
