import * as path from 'path';
import { z } from 'zod';
import { jsonFile } from './json-file';

/**
 * A sweep folder: one run folder per run of the grid, and beside them the files below. Names are
 * a contract other tools read; add, never rename.
 */
export const SWEEP_FILES = {
  /** What the sweep varies, so summaries and reports need no sweep file. */
  manifest: 'sweep.json',
  summaryCsv: 'summary.csv',
  summaryMd: 'summary.md',
  /** The paired comparisons of the sweep's runs. */
  pairsCsv: 'pairs.csv',
  /** Per configuration, the spread over seeds or folds. */
  varianceCsv: 'variance.csv',
  /** `shards/<i>-of-<n>.json`: left by each shard of a job array when it has ended. */
  shards: 'shards',
} as const;

/** A value a grid axis takes (a config value). */
export const gridValueSchema = z.union([z.string(), z.number(), z.boolean()]);
export type GridValue = z.output<typeof gridValueSchema>;
const gridValuesSchema = z.record(z.string(), gridValueSchema);

/** sweep.json: written when the sweep starts. */
export const sweepManifestSchema = z.object({
  name: z.string(),
  /** The base config; absent when every listed run has its own. */
  base: z.string().optional(),
  fixed: gridValuesSchema,
  /** The grid, led by an `experiment` axis naming the listed runs when the sweep has a `runs:` list. */
  grid: z.array(z.object({ key: z.string(), label: z.string(), values: z.array(gridValueSchema) })),
  runs: z.array(z.object({ name: z.string(), values: gridValuesSchema, reference: z.string().optional() })),
  /** The `runs:` list as given: each entry's base and overrides. */
  listed: z.array(z.object({ name: z.string(), base: z.string(), set: gridValuesSchema, reference: z.string().optional() })).optional(),
});
export type SweepManifest = z.output<typeof sweepManifestSchema>;

export const sweepManifestFile = jsonFile({ name: SWEEP_FILES.manifest, schema: sweepManifestSchema });

/** `shards/<i>-of-<n>.json`: what became of a shard's runs when it ended. */
export const shardMarkerSchema = z.looseObject({
  ran: z.array(z.string()),
  skipped: z.array(z.string()),
  failed: z.array(z.object({ name: z.string(), error: z.string() })),
  ended_at: z.string(),
});
export type ShardMarker = z.output<typeof shardMarkerSchema>;

/** The marker of shard `index` of `count` in the sweep folder `dir`. */
export function shardMarkerPath(dir: string, shard: { index: number; count: number }): string {
  return path.join(dir, SWEEP_FILES.shards, `${shard.index}-of-${shard.count}.json`);
}

export const shardMarkerFile = jsonFile({ name: 'shards/<i>-of-<n>.json', schema: shardMarkerSchema });
