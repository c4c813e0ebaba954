import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export const FIXTURE_DIR = path.join(__dirname, '..', '..', 'fixtures', 'generated', 'models');

/** Makes the torchvision fixtures (scripts/models_make_fixtures.py) unless they are there. */
export function ensureModelFixtures(): string {
  if (!fs.existsSync(path.join(FIXTURE_DIR, 'DONE'))) {
    execFileSync('/usr/bin/python3', [path.join(__dirname, '..', '..', '..', 'scripts', 'models_make_fixtures.py'), FIXTURE_DIR], {
      stdio: ['ignore', 'ignore', 'inherit'],
      timeout: 600_000,
    });
  }
  return FIXTURE_DIR;
}
