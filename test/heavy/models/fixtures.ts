import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { referencePython } from '../../support/goldens/paths';

const GENERATED = path.join(__dirname, '..', '..', 'fixtures', 'generated');
const SCRIPTS = path.join(__dirname, '..', '..', '..', 'scripts');
export const FIXTURE_DIR = path.join(GENERATED, 'models');
export const BN_STEP_DIR = path.join(GENERATED, 'bn-step');

/** Runs a torchvision fixture script into `dir` unless it finished there before (its DONE file). */
function ensure(script: string, dir: string): string {
  if (!fs.existsSync(path.join(dir, 'DONE'))) {
    execFileSync(referencePython(), [path.join(SCRIPTS, script), dir], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 600_000 });
  }
  return dir;
}

/** The torchvision fixtures (scripts/models_make_fixtures.py). */
export function ensureModelFixtures(): string {
  return ensure('models_make_fixtures.py', FIXTURE_DIR);
}

/** Weights, a batch and PyTorch's BatchNorm statistics after one step on it (scripts/models_torch_bn_step.py). */
export function ensureBatchNormStepFixtures(): string {
  return ensure('models_torch_bn_step.py', BN_STEP_DIR);
}
