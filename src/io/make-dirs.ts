import * as fs from 'fs';
import * as path from 'path';
import { TimError } from '../core/errors';

/**
 * `mkdir -p` one level at a time. Node's own recursive mkdir spins forever on some paths
 * (under /proc it retries ENOENT without end); this fails at once, with the level that failed.
 */
export function makeDirs(dir: string): void {
  const missing: string[] = [];
  for (let p = path.resolve(dir); ; ) {
    let st: fs.Stats;
    try {
      st = fs.statSync(p);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      missing.push(p);
      const up = path.dirname(p);
      if (up === p) throw e;
      p = up;
      continue;
    }
    if (!st.isDirectory()) throw new TimError(`${p}: is a file; expected a folder${p === path.resolve(dir) ? '' : ` on the way to ${dir}`}`);
    break;
  }
  for (const p of missing.reverse()) {
    try {
      fs.mkdirSync(p);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || !fs.statSync(p).isDirectory()) throw e;
    }
  }
}
