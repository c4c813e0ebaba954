import { z } from 'zod';
import { jsonFile } from './json-file';
import { UNKNOWN_SCORE } from './metrics';
import { RUN_FILES } from './names';

/**
 * calibration.json: the temperature that divides the logits before the softmax, and the
 * threshold on the calibrated top probability below which an image is "not confidently one
 * of the artists". Written by `evaluate` on the held-out split; read by predict and export.
 */
export const calibrationSchema = z.looseObject({
  temperature: z.number().positive(),
  unknown: z.looseObject({
    score: z.literal(UNKNOWN_SCORE),
    threshold: z.number().min(0).max(1),
    keep: z.number().gt(0).max(1),
  }),
  /** The images the two were fitted on. */
  fitted_on: z.object({ split: z.literal('val'), images: z.number() }),
  written_at: z.string(),
});
export type RunCalibration = z.output<typeof calibrationSchema>;

export const calibrationFile = jsonFile({ name: RUN_FILES.calibration, schema: calibrationSchema });
