import { z } from 'zod';
import { figure, jsonFile } from './json-file';
import { RUN_FILES } from './names';

const methodFaithfulnessSchema = z.looseObject({
  method: z.string(),
  title: z.string(),
  /** Mean drop of the predicted class's probability when its most-highlighted pixels are removed. */
  drop_most: figure,
  /** The same when the least-highlighted pixels are removed. */
  drop_least: figure,
  /** drop_most − drop_least: larger means the map ranks pixels by what the model uses. */
  gap: figure,
  /** Share of images whose drop is larger for the most- than for the least-highlighted pixels. */
  most_beats_least: figure,
});
export type MethodFaithfulness = z.output<typeof methodFaithfulnessSchema>;

/** faithfulness.json: written by `tim explain --faithfulness`. */
export const faithfulnessSchema = z.looseObject({
  split: z.literal('val'),
  images: z.number(),
  removed_fraction: z.number(),
  fill: z.string(),
  class: z.literal('predicted'),
  target_layer: z.string(),
  /** Mean confidence before removing anything. */
  mean_confidence: figure,
  /** Drop when the same share of picture pixels is removed at random, as a reference point. */
  random_drop: figure,
  methods: z.array(methodFaithfulnessSchema),
});
export type FaithfulnessReport = z.output<typeof faithfulnessSchema>;

export const faithfulnessFile = jsonFile({ name: RUN_FILES.faithfulness, schema: faithfulnessSchema });
