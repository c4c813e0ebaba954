import { lossRiseWarning } from '../../../src/train/divergence';

const lr = { early: 1e-6, middle: 1e-5, head: 1e-3 };
const epochs = (losses: number[]) => losses.map((train_loss, i) => ({ epoch: i + 1, train_loss, lr }));

describe('lossRiseWarning', () => {
  const K = 31; // ln 31 = 3.434

  it('says nothing while the loss falls or stays below a uniform guess', () => {
    expect(lossRiseWarning(epochs([3.3]), K)).toBeUndefined();
    expect(lossRiseWarning(epochs([3.3, 2.1, 1.4]), K)).toBeUndefined();
    // Doubled, but still better than guessing: noisy, not exploding.
    expect(lossRiseWarning(epochs([3.0, 1.0, 2.5]), K)).toBeUndefined();
  });

  it('says nothing for a rise under twice the best epoch', () => {
    expect(lossRiseWarning(epochs([3.0, 2.0, 3.9]), K)).toBeUndefined();
  });

  it('names the epochs, the losses, the yardstick and the rates when the loss climbs past twice its best and past ln K', () => {
    expect(lossRiseWarning(epochs([3.2, 1.9, 4.1]), K)).toBe(
      'the training loss rose from 1.9000 (epoch 2) to 4.1000 (epoch 3), worse than a uniform guess\'s 3.4340 (ln 31): ' +
        'the learning rates (early 0.000001, middle 0.00001, head 0.001) may be too high; lower train.lr_groups',
    );
  });

  it('flags a first epoch over three times ln K', () => {
    expect(lossRiseWarning(epochs([10.5]), K)).toMatch(/^the training loss of epoch 1 is 10\.5000, over three times a uniform guess's 3\.4340 \(ln 31\)/);
    expect(lossRiseWarning(epochs([10.2]), K)).toBeUndefined();
  });

  it('ignores non-finite epochs (those stop the run elsewhere) and degenerate class counts', () => {
    expect(lossRiseWarning(epochs([NaN, 12]), K)).toMatch(/epoch 2 is 12\.0000/);
    expect(lossRiseWarning(epochs([1, NaN]), K)).toBeUndefined();
    expect(lossRiseWarning(epochs([50]), 1)).toBeUndefined();
  });
});
