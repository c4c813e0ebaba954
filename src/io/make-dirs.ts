import * as fs from 'fs';
import * as path from 'path';

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
    if (!st.isDirectory()) throw new Error(`${p} is a file, not a folder`);
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
