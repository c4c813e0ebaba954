import * as fs from 'fs';
import * as path from 'path';
import { TimError } from '../core/errors';
import { readRunConfig } from '../config/load';
import type { TimConfig } from '../config/schema';
import { writeFileAtomic, writeJsonAtomic } from './atomic';

/** Default parent of run folders. */
export const CHECKPOINTS_DIR = 'checkpoints';

/**
 * The files of a run folder. Names are a contract other tools read; add, never rename.
 * Every step after training reads the split and preprocessing from here.
 */
export const RUN_FILES = {
  config: 'config.yaml',
  labels: 'labels.json',
  split: 'split.json',
  history: 'history.jsonl',
  summary: 'summary.json',
  best: 'best',
  last: 'last',
  metrics: 'metrics.json',
  predictions: 'predictions.csv',
  confusion: 'confusion.csv',
  confusionPng: 'confusion.png',
  faithfulness: 'faithfulness.json',
} as const;

export type RunFileKey = keyof typeof RUN_FILES;

export class RunFolder {
  constructor(readonly dir: string) {}

  file(key: RunFileKey): string {
    return path.join(this.dir, RUN_FILES[key]);
  }

  has(key: RunFileKey): boolean {
    return fs.existsSync(this.file(key));
  }

  readJson<T>(key: RunFileKey): T {
    const f = this.file(key);
    if (!fs.existsSync(f)) throw new TimError(`${f}: missing (is '${this.dir}' a finished Tim run?)`);
    try {
      return JSON.parse(fs.readFileSync(f, 'utf8')) as T;
    } catch (e) {
      throw new TimError(`${f}: not valid JSON (${e instanceof Error ? e.message : String(e)})`);
    }
  }

  writeJson(key: RunFileKey, value: unknown): void {
    writeJsonAtomic(this.file(key), value);
  }

  writeText(key: RunFileKey, text: string): void {
    writeFileAtomic(this.file(key), text);
  }

  config(): TimConfig {
    return readRunConfig(this.file('config'));
  }

  labels(): string[] {
    return this.readJson<string[]>('labels');
  }

  /** Appends one JSON line (history.jsonl). */
  appendJsonLine(key: RunFileKey, value: unknown): void {
    fs.appendFileSync(this.file(key), `${JSON.stringify(value)}\n`);
  }

  readJsonLines<T>(key: RunFileKey): T[] {
    const f = this.file(key);
    if (!fs.existsSync(f)) return [];
    return fs
      .readFileSync(f, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as T);
  }
}

/** Creates a run folder; an existing one is kept unless `force` says to replace it. */
export function createRunFolder(dir: string, opts: { force?: boolean } = {}): RunFolder {
  if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0) {
    if (!opts.force) throw new TimError(`run folder ${dir} already exists; use --force to overwrite it or --resume ${dir} to continue it`);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  fs.mkdirSync(dir, { recursive: true });
  return new RunFolder(dir);
}

/** Opens an existing run folder, checking it is one. */
export function openRunFolder(dir: string): RunFolder {
  const run = new RunFolder(dir);
  if (!fs.existsSync(dir)) throw new TimError(`run folder ${dir} does not exist`);
  if (!run.has('config')) throw new TimError(`${dir}: not a Tim run folder (no ${RUN_FILES.config})`);
  return run;
}

/** The most recently modified run folder under `parent` that has a `best/` model. */
export function latestRun(parent = CHECKPOINTS_DIR): RunFolder {
  if (!fs.existsSync(parent)) throw new TimError(`no runs found: ${parent}/ does not exist (train one first, or pass --run DIR)`);
  const runs = fs
    .readdirSync(parent, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
    .map((d) => path.join(parent, d.name))
    .filter((d) => fs.existsSync(path.join(d, RUN_FILES.best)))
    .map((d) => ({ d, t: fs.statSync(path.join(d, RUN_FILES.best)).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  const first = runs[0];
  if (!first) throw new TimError(`no finished runs under ${parent}/ (train one first, or pass --run DIR)`);
  return new RunFolder(first.d);
}
