import * as fs from 'fs';
import * as path from 'path';
import { z } from 'zod';
import { oneLine, TimError } from '../core/errors';
import { readJsonFile } from '../io/json-file';
import type { PerGroup } from '../train/types';

/** The files an lr-find folder holds. */
export const LR_FIND_FILES = { json: 'lr-find.json', png: 'lr-find.png' } as const;

/** A suggestion as every group's rate, and the smoothed loss there. */
export interface GroupSuggestion {
  lr_groups: PerGroup<number>;
  loss: number;
}

/** The content of lr-find.json. */
export interface LrFindResult {
  config: string;
  arch: string;
  steps_planned: number;
  steps_run: number;
  stopped: 'diverged' | 'steps';
  start_lr: number;
  end_lr: number;
  beta: number;
  divergence_factor: number;
  /** The config's rates: the sweep moves them together, at these ratios. */
  lr_groups: PerGroup<number>;
  /** One point per step: the head's rate, the step's loss and the smoothed loss (null where NaN). */
  curve: { step: number; lr: number; loss: number | null; smoothed: number | null }[];
  /** null when the sweep stopped too early to read them (fewer than steps/10 + 7 points). */
  suggestions: { steepest: GroupSuggestion; valley: GroupSuggestion } | null;
}

const rates = z.looseObject({ early: z.number().min(0), middle: z.number().min(0), head: z.number().positive() });
const groupSuggestion = z.looseObject({ lr_groups: rates, loss: z.number() });

/** lr-find.json read back (a report); loose, as the run files' schemas are, so newer files may carry more. */
export const lrFindFileSchema = z.looseObject({
  config: z.string(),
  arch: z.string(),
  steps_planned: z.number().int().min(1),
  steps_run: z.number().int().min(0),
  stopped: z.enum(['diverged', 'steps']),
  start_lr: z.number().positive(),
  end_lr: z.number().positive(),
  beta: z.number(),
  divergence_factor: z.number(),
  lr_groups: rates,
  curve: z.array(z.looseObject({ step: z.number().int(), lr: z.number().positive(), loss: z.number().nullable(), smoothed: z.number().nullable() })),
  suggestions: z.looseObject({ steepest: groupSuggestion, valley: groupSuggestion }).nullable(),
}) satisfies z.ZodType<LrFindResult>;

/** An lr-find folder as a report shows it: the result and the chart's PNG bytes. */
export interface LrFindFolder {
  dir: string;
  result: LrFindResult;
  png: Buffer;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Reads what `tim lr-find` wrote into `dir`; anything missing or damaged is one line naming the file. */
export function readLrFindFolder(dir: string): LrFindFolder {
  const again = `run tim lr-find again (--out ${dir} --force) to write it`;
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new TimError(`lr-find folder ${dir} does not exist; expected the --out of tim lr-find (default lr-find/<config name>)`);
  const result = readJsonFile(path.join(dir, LR_FIND_FILES.json), lrFindFileSchema, again);
  const pngFile = path.join(dir, LR_FIND_FILES.png);
  if (!fs.existsSync(pngFile)) throw new TimError(`${pngFile}: missing; ${again}`);
  let png: Buffer;
  try {
    png = fs.readFileSync(pngFile);
  } catch (e) {
    throw new TimError(`${pngFile}: cannot read (${oneLine(e)})`);
  }
  if (!png.subarray(0, PNG_SIGNATURE.length).equals(PNG_SIGNATURE)) throw new TimError(`${pngFile}: not a PNG image; ${again}`);
  return { dir, result, png };
}
