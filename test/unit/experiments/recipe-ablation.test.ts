import * as path from 'path';
import { loadConfig } from '../../../src/config/load';
import type { TimConfig } from '../../../src/config/schema';
import { expandSweep, loadSweepSpec } from '../../../src/experiments/sweep-spec';

const ROOT = path.resolve(__dirname, '../../..');

/** Which of the additions to the reference recipe a config turns on. */
function additions(c: TimConfig): string[] {
  const on: [string, boolean][] = [
    ['adamw', c.train.weight_decay > 0],
    ['ema', c.train.ema !== undefined],
    ['mixup_cutmix', c.augment.mixup !== undefined],
    ['resized_crop', c.augment.random_resized_crop !== undefined],
    ['trivialaugment', c.augment.policy === 'trivialaugment'],
    ['freeze_then_unfreeze', c.train.freeze_epochs > 0],
    ['logit_adjusted', c.train.loss === 'logit_adjusted'],
  ];
  return on.filter(([, yes]) => yes).map(([name]) => name);
}

describe('configs/sweeps/recipe_ablation.yaml', () => {
  it('runs the reference recipe, each addition alone, and all of them together, all else equal', () => {
    const spec = loadSweepSpec(path.join(ROOT, 'configs/sweeps/recipe_ablation.yaml'));
    const runs = expandSweep(spec);
    const byName = new Map(runs.map((r) => [r.name, r.config]));
    const reference = byName.get('reference');
    expect(reference).toBeDefined();
    // The reference is the quick start's recipe as shipped.
    expect(reference).toEqual({ ...loadConfig('quickstart').config, name: reference?.name });
    expect(additions(reference as TimConfig)).toEqual([]);
    const single = runs.filter((r) => r.name !== 'reference' && r.name !== 'all_together');
    expect(single.map((r) => additions(r.config))).toEqual(single.map((r) => [r.name]));
    expect(additions(byName.get('all_together') as TimConfig).sort()).toEqual(single.map((r) => r.name).sort());
    // Everything else (data, split seed, model, epochs, rates) is the reference's.
    for (const r of runs) {
      expect([r.name, r.config.seed, r.config.data, r.config.model, r.config.train.epochs, r.config.train.lr_groups]).toEqual([
        r.name,
        reference?.seed,
        reference?.data,
        reference?.model,
        reference?.train.epochs,
        reference?.train.lr_groups,
      ]);
    }
  });
});
