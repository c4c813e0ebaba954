import { z } from 'zod';
import { RESIZE_MODES } from '../../config/schema';

const rgb = z.tuple([z.number(), z.number(), z.number()]);

/**
 * How an image becomes model input, as metrics.json and an export's preprocessing.json record
 * it (the run's config.yaml holds the settings it comes from).
 */
export const preprocessSpecSchema = z.object({
  image_size: z.number(),
  resize: z.enum(RESIZE_MODES),
  mean: rgb,
  std: rgb,
});
export type PreprocessSpec = z.output<typeof preprocessSpecSchema>;
