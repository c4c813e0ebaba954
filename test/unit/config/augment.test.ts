import * as fs from 'fs';
import * as path from 'path';
import { CONFIG_DIR, loadConfig, parseConfig } from '../../../src/config/load';

const minimal = { name: 'x', data: { root: 'd' }, model: { arch: 'tiny_cnn' } };

describe('augment.random_resized_crop, augment.policy and augment.mixup', () => {
  it('are off by default and in every shipped config but the *_modern ones, which turn every addition on', () => {
    const c = parseConfig(minimal);
    expect(c.augment.random_resized_crop).toBeUndefined();
    expect(c.augment.policy).toBe('none');
    expect(c.augment.mixup).toBeUndefined();
    const files = fs.readdirSync(CONFIG_DIR).filter((f) => f.endsWith('.yaml'));
    const modern = files.filter((f) => f.endsWith('_modern.yaml'));
    expect(modern.sort()).toEqual(['convnext_tiny_modern.yaml', 'efficientnet_b0_modern.yaml', 'resnet50_modern.yaml']);
    for (const file of files) {
      const { config } = loadConfig(path.join(CONFIG_DIR, file));
      const { augment: a, train: t } = config;
      const additions = [a.random_resized_crop !== undefined, a.policy !== 'none', a.mixup !== undefined, t.weight_decay > 0, t.ema !== undefined, t.freeze_epochs > 0, t.loss === 'logit_adjusted'];
      expect([file, additions]).toEqual([file, additions.map(() => modern.includes(file))]);
    }
  });

  it('random_resized_crop: true takes torchvision’s defaults and false leaves it off (for a sweep’s set:)', () => {
    expect(parseConfig({ ...minimal, augment: { random_resized_crop: true } }).augment.random_resized_crop).toEqual({ scale: [0.08, 1], ratio: [3 / 4, 4 / 3] });
    expect(parseConfig({ ...minimal, augment: { random_resized_crop: false } }).augment.random_resized_crop).toBeUndefined();
  });

  it('take torchvision’s and timm’s defaults when given', () => {
    const c = parseConfig({ ...minimal, augment: { random_resized_crop: {}, policy: 'randaugment(2, 9)', mixup: { alpha: 0.2 } } });
    expect(c.augment.random_resized_crop).toEqual({ scale: [0.08, 1], ratio: [3 / 4, 4 / 3] });
    expect(c.augment.mixup).toEqual({ alpha: 0.2, cutmix_alpha: 0, prob: 1, switch_prob: 0.5, label_smoothing: 0.1 });
    expect(parseConfig({ ...minimal, augment: { policy: 'trivialaugment' } }).augment.policy).toBe('trivialaugment');
  });

  it('name the key and what was expected when wrong', () => {
    const bad = (augment: object, train: object = {}): (() => unknown) => () => parseConfig({ ...minimal, augment, train });
    expect(bad({ policy: 'autoaugment' })).toThrow(/key 'augment\.policy': expected none, trivialaugment or randaugment\(n, m\).*got 'autoaugment'/);
    expect(bad({ policy: 'randaugment(2, 31)' })).toThrow(/augment\.policy.*magnitude m is a bin from 0 to 30/);
    expect(bad({ random_resized_crop: { scale: [0.9, 0.1] } })).toThrow(/augment\.random_resized_crop\.scale.*lo <= hi/);
    expect(bad({ random_resized_crop: { scale: [0.1, 1.5] } })).toThrow(/augment\.random_resized_crop\.scale/);
    expect(bad({ mixup: { prob: 0.5 } })).toThrow(/augment\.mixup.*alpha.*cutmix_alpha/);
    expect(bad({ mixup: { alpha: 0.2 } }, { label_smoothing: 0.1 })).toThrow(/train\.label_smoothing.*augment\.mixup\.label_smoothing.*got 0\.1/);
  });
});
