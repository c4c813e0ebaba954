import { z } from 'zod';

/**
 * `memory-measured.json`: the training-step memory `npm run bench -- memory --write` measures
 * and merges, and the memory planner (`memory.ts`) reads.
 */

const memoryPointSchema = z.looseObject({
  micro_batch: z.number(),
  /** The heap's high-water mark over two training steps, MB; null: the step exhausted the heap. */
  heap_mb: z.number().nullable(),
});
export type MemoryPoint = z.output<typeof memoryPointSchema>;

const memoryMeasurementSchema = z.looseObject({
  arch: z.string(),
  image_size: z.number(),
  backend: z.string(),
  /** The date of the measurement (the kernels and layers of that day). */
  measured: z.string(),
  points: z.array(memoryPointSchema),
});
export type MemoryMeasurement = z.output<typeof memoryMeasurementSchema>;

/** `memory-measured.json`: written by `npm run bench -- memory --write`, read by the planner. */
export const memoryTableSchema = z.looseObject({ about: z.string(), measurements: z.array(memoryMeasurementSchema) });
export type MemoryTable = z.output<typeof memoryTableSchema>;
