import * as path from 'path';

export const REPO_ROOT = path.resolve(__dirname, '../../..');
export const GOLDEN_ROOT = path.join(REPO_ROOT, 'test', 'fixtures', 'golden');
export const MANIFEST = 'golden.json';

/** Debian's interpreter, which has torch, torchvision, scikit-learn and Pillow; TIM_PYTHON overrides it. */
export function referencePython(): string {
  return process.env.TIM_PYTHON || '/usr/bin/python3';
}
