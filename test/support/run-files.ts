import type { TrainSummary } from '../../src/io/run-folder';

/** summary.json as training writes it, for fixtures of runs that did not train here. */
export function trainSummary(fields: Partial<TrainSummary> & Pick<TrainSummary, 'best_epoch'>): TrainSummary {
  return {
    run_dir: 'run',
    name: 'run',
    arch: 'tiny_cnn',
    monitor: 'val_acc',
    best_value: 0.5,
    stopped_epoch: fields.best_epoch,
    stopped_early: false,
    interrupted: false,
    epochs_planned: fields.best_epoch,
    backend: 'cpu',
    total_seconds: 1,
    train_images: 8,
    val_images: 4,
    num_classes: 2,
    trained_groups: ['head'],
    micro_batch: 4,
    batch_norm_statistics: 'per batch',
    ema: null,
    final: { train_loss: 1, train_acc: 0.5, val_loss: 1, val_acc: 0.5 },
    ...fields,
  };
}
