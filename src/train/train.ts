import * as path from 'path';
import { configToYaml } from '../config/load';
import type { BackendChoice, TimConfig } from '../config/schema';
import { TimError } from '../core/errors';
import { log } from '../core/log';
import { createLoader, type Loader } from '../data/loader';
import { indexDataset } from '../data/index-dataset';
import { preprocessSpecOf } from '../data/preprocess';
import { readSplit, splitForConfig, writeSplit } from '../data/split';
import { leaveClassesOut } from '../data/leave-out';
import { findNearDuplicates } from '../data/near-duplicates';
import type { SplitManifest } from '../data/types';
import { checkNewRunTarget, CHECKPOINTS_DIR, labelsFile, openRunFolder, recoverRunFolder, RUN_FILES, runMarkerFile, type RunFolder, stageRunFolder, StagedRunFolder, summaryFile } from '../io/run-folder';
import { acquireRunLock } from '../io/run-lock';
import { createModel, getArchSpec, groupVariables, loadPretrained, loadTimModel, type TimModel } from '../models';
import { checkPretrained, resolvePretrained } from '../models/weights/fetch';
import { type BackendSelection, selectBackend } from '../runtime/backend';
import { classifyWasmFailure, KernelFaultError, wasmHeapMb } from '@tim/tfjs-training';
import { bufferLimitsOf, largestActivationBytes, type MemoryLimits, OutOfMemoryError, outOfMemoryMessage, plan, rethrowIfOutOfMemory } from '../runtime/memory';
import { webGpuAdapter, webGpuLimits } from '../runtime/webgpu/backend';
import { gpuMemory } from '../runtime/webgpu/device-memory';
import { type ModelWriter, readLoopState, saveModelFolder } from './checkpoint';
import { checkResumable } from './last-checkpoint';
import { groupNamesWithVariables, trainedGroups } from './groups';
import { fit, type FitOptions } from './loop';
import { balancedMicroBatch } from './step';
import { balancedClassWeights } from './loss';
import { classPriors, logitAdjustment } from './logit-adjust';
import { Progress } from './progress';
import type { TrainSummary } from './types';

export interface TrainOptions {
  /** Run folder; default `checkpoints/<config.name>`. */
  out?: string;
  /** Replace an existing run folder. */
  force?: boolean;
  /** Continue the run in this folder from its last/ checkpoint (its own config is used). */
  resume?: string;
  backend?: BackendChoice;
  /** Finish the current step, save last/ and return on Ctrl-C (the CLI turns this on). */
  handleSignals?: boolean;
  /** Polled after every step, as Ctrl-C is. */
  shouldStop?: () => boolean;
  /** Replaces validation (tests). */
  evaluate?: FitOptions['evaluate'];
  /** Redrawn progress line; default: when stderr is a terminal and not CI. */
  liveProgress?: boolean;
}

/**
 * Which images BatchNorm layers normalise over in training: the micro-batch when the batch is
 * split (gradient accumulation sums the gradients, not the statistics), the whole batch
 * otherwise; none for a model without BatchNorm or a frozen backbone (inference statistics).
 */
function batchNormStatistics(tm: TimModel, microBatch: number, batchSize: number, frozen: boolean): TrainSummary['batch_norm_statistics'] {
  if (frozen || !tm.model.layers.some((l) => l.getClassName() === 'BatchNormalization')) return 'none';
  return microBatch < batchSize ? 'per micro-batch' : 'per batch';
}

/** The model a fresh run starts from: ImageNet weights with a new head, or a fresh initialisation. */
export async function initialModel(cfg: TimConfig, numClasses: number): Promise<TimModel> {
  const { arch, pretrained } = cfg.model;
  if (pretrained === 'none') return createModel(arch, { numClasses, seed: cfg.seed });
  const file = await resolvePretrained(arch, pretrained);
  return loadPretrained(arch, file, { numClasses, seed: cfg.seed });
}

/**
 * Training from random weights with fine-tuning rates (the defaults: 1e-6 and 1e-5 for the
 * backbone) barely moves the backbone, so the run ends near chance without any error.
 */
export function scratchRatesWarning(cfg: TimConfig): string | undefined {
  if (cfg.model.pretrained !== 'none') return undefined;
  const lr = cfg.train.lr_groups;
  if (cfg.model.freeze_backbone) {
    return 'model.pretrained is none and model.freeze_backbone is true: only the head trains, on a randomly initialised backbone; set model.pretrained to a weight file or model.freeze_backbone: false';
  }
  const slow = (['early', 'middle'] as const).filter((g) => lr[g] > 0 && lr[g] < 1e-4);
  if (slow.length === 0) return undefined;
  return (
    `model.pretrained is none (random weights) but ${slow.map((g) => `train.lr_groups.${g} is ${lr[g]}`).join(' and ')}, ` +
    `a fine-tuning rate: the backbone will barely learn. Set ${slow.map((g) => `train.lr_groups.${g}`).join(' and ')} to about 1e-3 ` +
    `(e.g. ${slow.map((g) => `--set train.lr_groups.${g}=1e-3`).join(' ')}), or give model.pretrained a weight file`
  );
}

/**
 * train.loss logit_adjusted: tau·log of the training split's class priors. Balanced class
 * weights aim at the same balanced error, so the two together over-correct: both apply, with a warning.
 */
export function trainingLogitAdjustment(cfg: TimConfig, split: SplitManifest): number[] | undefined {
  const t = cfg.train;
  if (t.loss !== 'logit_adjusted') return undefined;
  if (t.class_weights === 'balanced' && t.tau > 0) {
    log.warn('train.loss logit_adjusted with train.class_weights balanced: both correct for the class imbalance, so together they over-correct; keep one');
  }
  return logitAdjustment(classPriors(split.train.map((it) => it.label), split.classes, 'train.loss logit_adjusted'), t.tau);
}

/** Checks what can be checked from the config alone, before any data is read. */
export function checkConfig(cfg: TimConfig): void {
  getArchSpec(cfg.model.arch);
  const { pretrained } = cfg.model;
  checkPretrained(cfg.model.arch, pretrained);
  const lr = cfg.train.lr_groups;
  const trainable = cfg.model.freeze_backbone ? lr.head > 0 : lr.early > 0 || lr.middle > 0 || lr.head > 0;
  if (!trainable) throw new TimError(`train.lr_groups: nothing to train: every trained group has learning rate 0 (early ${lr.early}, middle ${lr.middle}, head ${lr.head})`);
  checkFreezeEpochs(cfg);
}

/** train.freeze_epochs needs a backbone that unfreezes afterwards and a head that trains before. */
function checkFreezeEpochs(cfg: TimConfig): void {
  const { freeze_epochs: n, epochs, lr_groups: lr } = cfg.train;
  if (n === 0) return;
  if (cfg.model.freeze_backbone) throw new TimError(`train.freeze_epochs is ${n}, but model.freeze_backbone is true: the backbone never unfreezes; set one of them`);
  if (n >= epochs) throw new TimError(`train.freeze_epochs is ${n}, expected fewer than train.epochs (${epochs}): the backbone would never unfreeze (model.freeze_backbone: true trains the head alone)`);
  if (lr.head === 0) throw new TimError(`train.freeze_epochs is ${n}, but train.lr_groups.head is 0: nothing would train while the backbone is frozen`);
}

/** Ctrl-C: the first finishes the step and saves last/; a second one quits at once. */
function installInterruptHandler(): { requested: () => boolean; remove: () => void } {
  let requested = false;
  const onSignal = (): void => {
    if (requested) {
      process.stderr.write('\ninterrupted again; quitting without saving\n');
      process.exit(130);
    }
    requested = true;
    process.stderr.write('\ninterrupt: finishing the current step, then saving last/ (Ctrl-C again to quit at once)\n');
  };
  process.on('SIGINT', onSignal);
  return { requested: () => requested, remove: () => process.off('SIGINT', onSignal) };
}

/**
 * Trains one config into a run folder: config.yaml, labels.json, split.json, history.jsonl,
 * summary.json, best/ and last/. With `resume` it continues a run exactly where it stopped.
 */
export async function train(config: TimConfig, opts: TrainOptions = {}): Promise<TrainSummary> {
  const t0 = Date.now();
  let cfg = config;
  const target = opts.resume ?? opts.out ?? path.join(CHECKPOINTS_DIR, cfg.name);
  if (!opts.resume) {
    // Everything that can fail is checked before the run folder is touched: a failed start
    // leaves a run that was there as it was, and no new folder.
    checkConfig(cfg);
    checkNewRunTarget(target, opts.force);
  }
  const lock = acquireRunLock(target);
  let staged: StagedRunFolder | undefined;
  let tm: TimModel | undefined;
  const cleanUp = (): void => {
    try {
      staged?.discard();
      tm?.model.dispose();
    } finally {
      lock.release();
    }
  };
  let summary: TrainSummary;
  try {
    let resumed: RunFolder | undefined;
    let split: SplitManifest;
    if (opts.resume) {
      const run = openRunFolder(opts.resume);
      resumed = run;
      const st = readLoopState(run.file('last'));
      checkResumable(run, st);
      if (st.finished) log.info(`${run.dir}: training finished (epoch ${st.epoch}) but ${RUN_FILES.summary} is missing (stopped while the last files were written); writing it`);
      cfg = run.config();
      split = readSplit(run.file('split'));
      if (split.train.length === 0 || split.val.length === 0) throw new TimError(`${run.file('split')}: the training or validation split is empty`);
    } else {
      recoverRunFolder(target);
      checkNewRunTarget(target, opts.force);
      const index = await indexDataset(cfg.data.root, { cacheDir: cfg.data.cache_dir });
      if (index.classes.length < 2) throw new TimError(`${cfg.data.root}: found ${index.classes.length} class folder(s); training needs at least 2`);
      const { known, unknown } = leaveClassesOut(index, cfg.data.unknown_classes);
      if (known.classes.length < 2) throw new TimError(`${cfg.data.root}: found ${known.classes.length} class folder(s) to train on; training needs at least 2`);
      const nearDuplicates = cfg.data.near_duplicates ? await findNearDuplicates(known.root, known.items.map((it) => it.path), { cacheDir: cfg.data.cache_dir }) : undefined;
      if (nearDuplicates?.groups.length) {
        log.info(`${nearDuplicates.groups.length} group(s) of near-duplicate images, each kept on one side of the split (tim data inspect lists them)`);
      }
      split = splitForConfig(known, cfg, nearDuplicates);
      if (unknown.length) split = { ...split, unknown_classes: [...cfg.data.unknown_classes], unknown };
      if (split.train.length === 0 || split.val.length === 0) {
        const asked = split.folds !== undefined ? `data.folds ${split.folds}` : `data.val_fraction ${cfg.data.val_fraction}`;
        throw new TimError(`${cfg.data.root}: ${asked} leaves the training or validation split empty`);
      }
    }
    const warning = opts.resume ? undefined : scratchRatesWarning(cfg);
    if (warning) log.warn(warning);

    const backendChoice = opts.backend ?? cfg.runtime.backend;
    const backend = await selectBackend(backendChoice, { forTraining: true });

    const numClasses = split.classes.length;
    tm = resumed ? await loadTimModel(resumed.file('last')) : await initialModel(cfg, numClasses);
    summary = await fitOnSplit(cfg, tm, split, backend, {
      ...opts,
      t0,
      run: () => {
        if (resumed) return resumed;
        staged = stageRunFolder(target, { force: opts.force });
        staged.write(runMarkerFile, { written_by: 'tim', created: new Date().toISOString() });
        staged.writeText('config', configToYaml(cfg));
        staged.write(labelsFile, split.classes);
        writeSplit(staged.file('split'), split);
        return staged;
      },
    });
  } catch (e) {
    try {
      cleanUp();
    } catch {
      // After an exhausted wasm heap the module has aborted and every call into it traps:
      // cleaning up must not replace the error that says what to lower.
    }
    throw e;
  }
  cleanUp();
  return summary;
}

interface FitOnSplitOptions extends TrainOptions {
  t0: number;
  /** The run folder, created only once everything before training has passed. */
  run: () => RunFolder;
}

/** On webgpu, the buffer sizes the device was given, against the model's largest activation. */
function deviceLimitsOf(backend: BackendSelection, tm: TimModel): MemoryLimits | undefined {
  const limits = backend.backend === 'webgpu' ? webGpuLimits() : undefined;
  const adapter = backend.backend === 'webgpu' ? webGpuAdapter() : undefined;
  const memory = adapter ? gpuMemory(adapter) : undefined;
  const byBuffer = limits ? bufferLimitsOf(limits, largestActivationBytes(tm.model)) : undefined;
  return memory ? { ...byBuffer, memoryBytes: memory.bytes, memorySource: memory.source } : byBuffer;
}

/** Gradient accumulation: as configured, else what fits the backend's memory, else the whole batch. */
export function microBatchLimitOf(cfg: TimConfig, backend: BackendSelection, tm: TimModel): number {
  return cfg.train.micro_batch ?? plan(cfg.model.arch, cfg.data.image_size, backend.backend, deviceLimitsOf(backend, tm))?.microBatch ?? cfg.train.batch_size;
}

/**
 * The model fitted on a split: loaders, optimizer groups and checkpoints around fit(). One verb
 * per level of training: train (a config into a run folder), fit (a model over epochs, in
 * loop.ts), runEpoch and runStep (epoch.ts).
 */
async function fitOnSplit(cfg: TimConfig, tm: TimModel, split: SplitManifest, backend: BackendSelection, opts: FitOnSplitOptions): Promise<TrainSummary> {
  const t0 = opts.t0;
  const numClasses = split.classes.length;
  if (tm.numClasses !== numClasses) throw new TimError(`${opts.resume ?? 'the new run'}: the model has ${tm.numClasses} classes, the split ${numClasses}`);
  const t = cfg.train;
  const groups = trainedGroups(groupVariables(tm, cfg.model.stem), { freezeBackbone: cfg.model.freeze_backbone, lrGroups: t.lr_groups });
  const trained = groupNamesWithVariables(groups);
  if (trained.length === 0) throw new TimError('train.lr_groups: nothing to train: every group with variables has learning rate 0');
  const microBatchLimit = microBatchLimitOf(cfg, backend, tm);
  // What a full batch is cut into: equal micro-batches of at most the limit.
  const microBatch = balancedMicroBatch(microBatchLimit, t.batch_size);
  const classWeights = t.class_weights === 'balanced' ? balancedClassWeights(split.train.map((it) => it.label), numClasses) : undefined;
  const logitAdjustment = trainingLogitAdjustment(cfg, split);

  const spec = preprocessSpecOf(cfg);
  const common = { root: split.root, spec, cache: cfg.data.cache, cacheDir: cfg.data.cache_dir, maxBatches: t.max_batches_per_epoch, seed: cfg.seed };
  let trainLoader: Loader | undefined;
  let valLoader: Loader | undefined;
  const signals = opts.handleSignals ? installInterruptHandler() : undefined;
  try {
    trainLoader = await createLoader({
      ...common,
      items: split.train,
      batchSize: t.batch_size,
      shuffle: true,
      augment: cfg.augment,
      ...(cfg.augment.mixup ? { mixup: { settings: cfg.augment.mixup, numClasses } } : {}),
    });
    valLoader = opts.evaluate ? undefined : await createLoader({ ...common, items: split.val, batchSize: t.batch_size, shuffle: false });
    const run = opts.run();
    // A new run replaces what is at its target only once its first resumable checkpoint exists.
    const writeModel: ModelWriter = async (model, dir, extraFiles) => {
      const promoteAfter = run instanceof StagedRunFolder && dir === run.file('last');
      await saveModelFolder(model, dir, extraFiles);
      if (promoteAfter) run.promote();
    };
    const bnStatistics = batchNormStatistics(tm, microBatch, t.batch_size, cfg.model.freeze_backbone);
    const bnNote = bnStatistics === 'per micro-batch' ? ` (BatchNorm statistics per micro-batch of ${microBatch})` : '';
    log.info(
      `${opts.resume ? 'resuming' : 'training'} ${cfg.name}: ${cfg.model.arch}${cfg.model.freeze_backbone ? ' (frozen backbone)' : ''}` +
        `${t.freeze_epochs > 0 ? ` (head only, backbone in inference mode, for the first ${t.freeze_epochs > 1 ? `${t.freeze_epochs} epochs` : 'epoch'})` : ''}, ` +
        `${split.train.length} train / ${split.val.length} val images, ${numClasses} classes, groups ${trained.join('+')}, ` +
        `batch ${t.batch_size}${microBatch < t.batch_size ? ` in micro-batches of ${microBatch}` : ''}${bnNote}, ${trainLoader.numBatches} steps/epoch → ${run instanceof StagedRunFolder ? run.target : run.dir}`,
    );
    if (t.ema) log.info(`validation, best/ and evaluation use the moving average of the weights (train.ema: decay ${t.ema.decay}, warm-up ${t.ema.warmup ? 'on' : 'off'})`);
    let outcome;
    try {
      outcome = await fit({
        tm,
        train: t,
        groups,
        freezeBackbone: cfg.model.freeze_backbone,
        trainSource: trainLoader,
        valSource: valLoader,
        evaluate: opts.evaluate,
        numClasses,
        seed: cfg.seed,
        classWeights,
        logitAdjustment,
        // The limit: each batch (the last may be smaller) is cut into equal parts under it.
        microBatch: microBatchLimit,
        run,
        writeModel,
        resume: Boolean(opts.resume),
        shouldStop: () => Boolean(signals?.requested() || opts.shouldStop?.()),
        progress: new Progress(opts.liveProgress),
      });
    } catch (e) {
      // A heap overflow (wasm's is capped at 4 GiB) becomes one line saying what to lower;
      // on wasm it can also surface as a bare emscripten abort.
      const ctx = { arch: cfg.model.arch, imageSize: cfg.data.image_size, microBatch, backend: backend.backend };
      if (backend.backend === 'wasm' && !(e instanceof KernelFaultError)) {
        // A trap outside a kernel boundary: the heap's fill tells memory from a fault.
        const heap = wasmHeapMb();
        const kind = classifyWasmFailure(e, heap);
        if (kind === 'kernel-fault') throw new KernelFaultError(undefined, e, heap);
        if (kind === 'out-of-memory') throw new OutOfMemoryError(outOfMemoryMessage(ctx));
      }
      rethrowIfOutOfMemory(e, ctx);
    }
    const last = outcome.history[outcome.history.length - 1];
    const prior = opts.resume ? run.readIfPresent(summaryFile) : undefined;
    const summary: TrainSummary = {
      run_dir: run.dir,
      name: cfg.name,
      arch: cfg.model.arch,
      monitor: t.early_stopping.monitor,
      best_epoch: outcome.bestEpoch,
      best_value: outcome.bestValue ?? NaN,
      stopped_epoch: outcome.stoppedEpoch,
      stopped_early: outcome.stoppedEarly,
      interrupted: outcome.interrupted,
      epochs_planned: t.epochs,
      backend: backend.backend,
      total_seconds: Math.round(outcome.totalSeconds * 10) / 10,
      train_images: split.train.length,
      val_images: split.val.length,
      num_classes: numClasses,
      trained_groups: trained,
      micro_batch: microBatch,
      batch_norm_statistics: bnStatistics,
      ema: t.ema ? { decay: t.ema.decay, warmup: t.ema.warmup } : null,
      final: last ? { train_loss: last.train_loss, train_acc: last.train_acc, val_loss: last.val_loss, val_acc: last.val_acc } : (prior?.final ?? null),
    };
    run.write(summaryFile, summary);
    if (outcome.interrupted) {
      log.info(`stopped after epoch ${outcome.stoppedEpoch}; continue with: tim train --resume ${run.dir}`);
    } else {
      log.info(
        `done in ${((Date.now() - t0) / 1000).toFixed(0)} s: best ${summary.monitor} ${Number.isFinite(summary.best_value) ? summary.best_value.toFixed(4) : '-'} at epoch ${summary.best_epoch}` +
          `${summary.stopped_early ? ` (stopped early at epoch ${summary.stopped_epoch})` : ''} → ${run.file('best')}${t.ema ? ' (the moving average of the weights)' : ''}`,
      );
    }
    return summary;
  } finally {
    signals?.remove();
    trainLoader?.dispose();
    valLoader?.dispose();
  }
}
