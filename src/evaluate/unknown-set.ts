import * as fs from 'fs';
import * as path from 'path';
import { TimError } from '../core/errors';
import { log } from '../core/log';
import { isImageFile, readSplit } from '../data';
import type { DatasetItem } from '../data/types';
import type { RunFolder } from '../io/run-folder';

/** Images of artists the run does not know, for measuring unknown-artist detection. */
export interface UnknownSet {
  root: string;
  items: DatasetItem[];
  /** What they are, as metrics.json records it. */
  source: string;
}

/** Every image below `dir` (any depth, hidden entries skipped, links not followed), sorted by path. */
export function imagesBelow(dir: string): string[] {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new TimError(`--unknown ${dir}: not a folder`);
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      if (e.name.startsWith('.')) continue;
      const childRel = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(childRel);
      else if (e.isFile()) {
        if (isImageFile(path.join(dir, childRel))) out.push(childRel);
        else log.warn(`skipping ${path.join(dir, childRel)}: not an image`);
      }
    }
  };
  walk('');
  return out.sort();
}

/**
 * The unknown-artist images to measure: the `--unknown` folder, else on the held-out split the
 * images of the classes training left out (`data.unknown_classes`, recorded in split.json).
 */
export function unknownSetOf(run: RunFolder, dir: string | undefined, split: 'val' | 'external'): UnknownSet | undefined {
  if (dir) {
    const paths = imagesBelow(dir);
    if (paths.length === 0) throw new TimError(`--unknown ${dir}: no images found`);
    return { root: path.resolve(dir), items: paths.map((p) => ({ path: p, label: 0 })), source: path.resolve(dir) };
  }
  if (split !== 'val') return undefined;
  const s = readSplit(run.file('split'));
  if (!s.unknown?.length || !s.unknown_classes?.length) return undefined;
  return { root: path.isAbsolute(s.root) ? s.root : path.resolve(s.root), items: s.unknown.map((it) => ({ path: it.path, label: 0 })), source: `left-out classes: ${s.unknown_classes.join(', ')}` };
}
