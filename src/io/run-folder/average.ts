import { z } from 'zod';
import { jsonFile } from './json-file';
import { RUN_FILES } from './names';

/** average.json: written by `tim average` into the run it makes. */
export const averageRecordSchema = z.looseObject({
  method: z.literal('uniform'),
  batch_norm_statistics: z.literal('averaged'),
  top_k: z.number().nullable(),
  /** Every run given, its best/ validation accuracy, and whether it went into the average. */
  sources: z.array(z.object({ run: z.string(), best_epoch: z.number().nullable(), val_acc: z.number().nullable(), averaged: z.boolean() })),
});
export type AverageRecord = z.output<typeof averageRecordSchema>;

export const averageFile = jsonFile({ name: RUN_FILES.average, schema: averageRecordSchema });
