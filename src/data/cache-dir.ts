import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { oneLine, TimError } from '../core/errors';
import { makeDirs } from '../io/make-dirs';

/**
 * Where a data set's decoded images and file checks are kept unless `data.cache_dir` says:
 * `$XDG_CACHE_HOME/tim/<folder name>-<hash of its real path>` (`~/.cache/tim/...` without
 * XDG_CACHE_HOME), outside the data folder so read-only and shared data sets work.
 */
export function defaultCacheDir(root: string, env: NodeJS.ProcessEnv = process.env): string {
  let real = path.resolve(root);
  try {
    real = fs.realpathSync(root);
  } catch {
    // A missing root is reported by whoever lists it.
  }
  const xdg = env.XDG_CACHE_HOME;
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.cache');
  const tag = createHash('sha256').update(real).digest('hex').slice(0, 12);
  return path.join(base, 'tim', `${path.basename(real).replace(/[^A-Za-z0-9._-]+/g, '_')}-${tag}`);
}

/** Creates the cache folder, or says in one line why it cannot be used. */
export function ensureCacheDir(dir: string): void {
  try {
    makeDirs(dir);
  } catch (e) {
    throw new TimError(`data.cache_dir '${dir}': cannot use it as the image cache folder (${oneLine(e)}); set data.cache_dir to a writable folder, or data.cache: false`);
  }
}
