import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { referencePython } from '../../support/goldens/paths';

const GENERATED = path.join(__dirname, '..', '..', 'fixtures', 'generated');
const SCRIPTS = path.join(__dirname, '..', '..', '..', 'scripts');
export const FIXTURE_DIR = path.join(GENERATED, 'models');
export const BN_STEP_DIR = path.join(GENERATED, 'bn-step');
/** Every fixture script imports its helpers from this one. */
const SHARED_SCRIPT = 'models_make_fixtures.py';

/** The scripts that make a fixture folder, hashed: an edited script makes its folder stale. */
function scriptsHash(script: string): string {
  const hash = createHash('sha256');
  for (const name of new Set([script, SHARED_SCRIPT])) hash.update(fs.readFileSync(path.join(SCRIPTS, name)));
  return hash.digest('hex');
}

/** Runs a torchvision fixture script into `dir` unless it finished there (its DONE file) from the same scripts. */
function ensure(script: string, dir: string): string {
  const stampFile = path.join(dir, 'SCRIPTS.sha256');
  const stamp = scriptsHash(script);
  const fresh = fs.existsSync(path.join(dir, 'DONE')) && fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp;
  if (!fresh) {
    execFileSync(referencePython(), [path.join(SCRIPTS, script), dir], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 600_000 });
    fs.writeFileSync(stampFile, stamp);
  }
  return dir;
}

/** The torchvision fixtures (scripts/models_make_fixtures.py). */
export function ensureModelFixtures(): string {
  return ensure(SHARED_SCRIPT, FIXTURE_DIR);
}

/**
 * Weights, a batch, PyTorch's BatchNorm statistics after one step on it and the exact (float64)
 * statistics (scripts/models_torch_bn_step.py).
 */
export function ensureBatchNormStepFixtures(): string {
  return ensure('models_torch_bn_step.py', BN_STEP_DIR);
}
