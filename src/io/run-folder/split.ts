import { z } from 'zod';
import { jsonFile } from './json-file';
import { RUN_FILES } from './names';

/** One usable image of the data set, its path relative to the data root. */
export const datasetItemSchema = z.object({ path: z.string(), label: z.number().int().min(0) });
export type DatasetItem = z.infer<typeof datasetItemSchema>;

/**
 * split.json: written when the run is created. Paths are relative to `root`. Evaluation,
 * explanation and reports read the held-out images from here and only from here.
 */
export const splitManifestSchema = z.looseObject({
  root: z.string(),
  seed: z.number(),
  val_fraction: z.number(),
  /** With k-fold cross-validation: the number of folds and the held-out fold (0-based). Absent before 2026-12-01 (c9b7a5d) and without folds. */
  folds: z.number().optional(),
  fold: z.number().optional(),
  classes: z.array(z.string()),
  train: z.array(datasetItemSchema),
  val: z.array(datasetItemSchema),
  /** Leave-artists-out (`data.unknown_classes`): the classes training never saw... */
  unknown_classes: z.array(z.string()).optional(),
  /** ...and all their images, labels indexing `unknown_classes`: evaluation measures unknown-artist detection on them. */
  unknown: z.array(datasetItemSchema).optional(),
  /** The near-duplicate groups the split kept on one side each; absent in splits made without the check. */
  near_duplicates: z.object({ method: z.string(), threshold: z.number(), groups: z.array(z.array(z.string())) }).optional(),
});
export type SplitManifest = z.output<typeof splitManifestSchema>;

export const splitFile = jsonFile({ name: RUN_FILES.split, schema: splitManifestSchema });

/** labels.json: the class names in the model's output order. */
export const labelsSchema = z.array(z.string()).min(1);
export const labelsFile = jsonFile({ name: RUN_FILES.labels, schema: labelsSchema });
