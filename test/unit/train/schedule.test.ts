import { formatProgress } from '../../../src/train/progress';
import { improves, initialEarlyStopping, initialPlateau, scheduleFactor, updateEarlyStopping, updatePlateau } from '../../../src/train/schedule';

describe('learning-rate schedule', () => {
  const cosine = { type: 'cosine' as const, warmup_epochs: 1, min_factor: 0.1 };

  it('warms up linearly, then follows a cosine down to min_factor at the last step', () => {
    const steps = 10;
    const epochs = 5;
    expect(scheduleFactor(cosine, 0, steps, epochs)).toBeCloseTo(0.1, 10);
    expect(scheduleFactor(cosine, 4, steps, epochs)).toBeCloseTo(0.5, 10);
    expect(scheduleFactor(cosine, 10, steps, epochs)).toBeCloseTo(1, 10);
    // Half-way through the 40 post-warm-up steps: the cosine's midpoint.
    expect(scheduleFactor(cosine, 30, steps, epochs)).toBeCloseTo(0.1 + 0.9 * 0.5, 10);
    expect(scheduleFactor(cosine, 50, steps, epochs)).toBeCloseTo(0.1, 10);
    const values = Array.from({ length: 40 }, (_, i) => scheduleFactor(cosine, 10 + i, steps, epochs));
    values.slice(1).forEach((v, i) => expect(v).toBeLessThan(values[i] as number));
  });

  it('is constant without a schedule', () => {
    const constant = { type: 'constant' as const, warmup_epochs: 0, min_factor: 0 };
    expect([0, 7, 99].map((s) => scheduleFactor(constant, s, 10, 10))).toEqual([1, 1, 1]);
  });
});

describe('monitors', () => {
  it('val_acc improves upwards and val_loss downwards, by more than min_delta', () => {
    expect(improves('val_acc', 0.5, null)).toBe(true);
    expect(improves('val_acc', 0.6, 0.5, 0.05)).toBe(true);
    expect(improves('val_acc', 0.54, 0.5, 0.05)).toBe(false);
    expect(improves('val_loss', 0.9, 1.0)).toBe(true);
    expect(improves('val_loss', 1.0, 1.0)).toBe(false);
    expect(improves('val_loss', NaN, null)).toBe(false);
  });

  it('early stopping waits `patience` epochs after the best', () => {
    const cfg = { monitor: 'val_loss' as const, patience: 2, min_delta: 0 };
    let s = initialEarlyStopping();
    const stops: boolean[] = [];
    [1.0, 0.8, 0.9, 0.85].forEach((v, i) => {
      const r = updateEarlyStopping(s, cfg, i + 1, v);
      s = r.state;
      stops.push(r.stop);
    });
    expect(stops).toEqual([false, false, false, true]);
    expect(s.bestEpoch).toBe(2);
  });

  it('the plateau scale drops by `factor` after more than `patience` bad epochs, as PyTorch', () => {
    const cfg = { monitor: 'val_loss' as const, factor: 0.1, patience: 2, min_lr: 0 };
    let s = initialPlateau();
    const scales = [1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6].map((v) => (s = updatePlateau(s, cfg, v)).scale);
    expect(scales.map((x) => +x.toPrecision(6))).toEqual([1, 1, 1, 0.1, 0.1, 0.1, 0.01]);
  });
});

describe('progress line', () => {
  it('shows the bar, images per second, ETA, loss and accuracy', () => {
    const line = formatProgress({ epoch: 2, epochs: 8, done: 5, total: 10, images: 160, seconds: 20, loss: 1.23456, acc: 0.5 });
    expect(line).toMatch(/^epoch 2\/8 \[#{12}\.{12}\] 5\/10 8\.0 img\/s ETA 00:20 loss 1\.2346 acc 0\.500$/);
  });
});
