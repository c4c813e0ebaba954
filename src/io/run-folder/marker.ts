import { z } from 'zod';
import { jsonFile } from './json-file';
import { RUN_FILES } from './names';

/**
 * .tim-run.json: written when a run is created; only Tim writes it, so `--force` knows a run from
 * a folder that merely holds a config.yaml. Runs created before 2026-12-06 (e5ff28c) have none
 * (`isRunFolder` knows them by their config.yaml, labels.json and split.json).
 */
export const runMarkerSchema = z.looseObject({ written_by: z.literal('tim'), created: z.string() });
export type RunMarker = z.output<typeof runMarkerSchema>;

export const runMarkerFile = jsonFile({ name: RUN_FILES.marker, schema: runMarkerSchema });
