import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export const TINY_DIR = path.join(__dirname, '..', '..', 'fixtures', 'generated', 'models-tiny');

/** Small files written by torch itself (scripts/models_make_fixtures.py --tiny), made when missing. */
export function ensureTinyFixtures(): string {
  if (!fs.existsSync(path.join(TINY_DIR, 'DONE'))) {
    execFileSync('/usr/bin/python3', [path.join(__dirname, '..', '..', '..', 'scripts', 'models_make_fixtures.py'), '--tiny', TINY_DIR], {
      stdio: ['ignore', 'ignore', 'inherit'],
      timeout: 300_000,
    });
  }
  return TINY_DIR;
}
