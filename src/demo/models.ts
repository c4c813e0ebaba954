import * as fs from 'fs';
import * as path from 'path';
import { readRunConfig } from '../config/load';
import type { TimConfig } from '../config/schema';
import { MODEL_JSON } from '../io/model-io';
import { labelsFile, metricsFile, RUN_FILES } from '../io/run-folder';

/** A run the demo can use: any folder under the runs folder with a `best/` model. */
export interface DemoModel {
  /** The folder's path relative to the runs folder (`.` for the runs folder itself). */
  id: string;
  dir: string;
  name: string;
  arch: string;
  classes: number;
  imageSize?: number;
  resize?: string;
  /** Held-out accuracy, when the run was evaluated. */
  accuracy?: number;
}

function hasBest(dir: string): boolean {
  return fs.existsSync(path.join(dir, RUN_FILES.best, MODEL_JSON));
}

/** The run's config, or undefined when it is damaged: the list shows what it can of such a run. */
function usableConfig(dir: string): TimConfig | undefined {
  try {
    return readRunConfig(path.join(dir, RUN_FILES.config));
  } catch {
    return undefined;
  }
}

function describe(root: string, dir: string): DemoModel {
  const config = usableConfig(dir);
  const ignore = (): void => undefined;
  const accuracy = metricsFile.readIfUsable(path.join(dir, RUN_FILES.metrics), ignore)?.accuracy;
  return {
    id: path.relative(root, dir) || '.',
    dir,
    name: path.basename(path.resolve(dir)),
    arch: config?.model.arch ?? '?',
    classes: labelsFile.readIfUsable(path.join(dir, RUN_FILES.labels), ignore)?.length ?? 0,
    imageSize: config?.data.image_size,
    resize: config?.data.resize,
    accuracy: accuracy === undefined || Number.isNaN(accuracy) ? undefined : accuracy,
  };
}

/**
 * Runs with a best model: the folder itself and up to three levels below it, so the runs of
 * `checkpoints/sweeps/<name>/` are found from `checkpoints/`. Read fresh on every call, so runs that
 * finish while the demo is up appear.
 */
export function listDemoModels(root: string): DemoModel[] {
  const found: string[] = [];
  const visit = (dir: string, depth: number): void => {
    if (hasBest(dir)) found.push(dir);
    if (depth === 0) return;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isDirectory() && !e.name.startsWith('.') && e.name !== RUN_FILES.best && e.name !== RUN_FILES.last) visit(path.join(dir, e.name), depth - 1);
    }
  };
  visit(root, 3);
  return found.sort().map((d) => describe(root, d));
}
