import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { TimError } from '../core/errors';
import { augmentImages, type AugmentSettings, drawAugmentParams } from './augment';
import { augmentBytes, augmentsBytes, type ByteAugmentSettings, drawByteAugmentParams } from './augment-bytes';
import { augmentPixels } from './augment-pixels';
import { prepareCache, type DataCache } from './cache';
import { decodeConcurrency, mapConcurrent } from './concurrency';
import { drawMix, mixImages, mixPixels, mixupTargets, type MixupSettings } from './mixup';
import { prepareImage } from './preprocess';
import { seededShuffle } from './split';
import { bytesToUnit, bytesToUnitTensor, normalizeImages } from './tensor';
import type { Batch, DatasetItem, PreprocessSpec } from './types';

export interface LoaderOptions {
  root: string;
  items: DatasetItem[];
  spec: PreprocessSpec;
  batchSize: number;
  shuffle: boolean;
  seed: number;
  /**
   * Training only: flips, rotations and colour jitter, and (when given) RandomResizedCrop and a
   * TrivialAugment/RandAugment policy on the 8-bit pixels first. Omitted means the images as they are.
   */
  augment?: AugmentSettings & Partial<ByteAugmentSettings>;
  /** Training only: each batch mixed with itself reversed (mixup or CutMix), with soft targets over `numClasses`. */
  mixup?: { settings: MixupSettings; numClasses: number };
  /** Read decoded images from the on-disk cache (built when missing or stale). */
  cache?: boolean;
  cacheDir?: string;
  /** At most this many batches per epoch. */
  maxBatches?: number;
  /** Drop a last, smaller batch (default false: every image is used). */
  dropLast?: boolean;
  /**
   * Where augmentation runs: on tensors, or on the pixels in JavaScript before upload.
   * Default: tensors on the backends that run them on a GPU or natively (webgpu, webgl,
   * tensorflow), pixels elsewhere: on cpu the tensor ops are JavaScript loops too, and on wasm the
   * rotation's gathers made a batch of 32 at 224 px take 1.3 s where the pixel loops take 0.1 s.
   */
  augmentOn?: 'tensors' | 'pixels';
}

export interface Loader {
  size: number;
  numBatches: number;
  /**
   * The batches of one epoch. A pure function of (seed, epoch): the order and the augmentation
   * are drawn from generators seeded by them, so a resumed run sees exactly the same batches.
   * The consumer disposes each batch's tensors.
   */
  batches(epoch: number): AsyncGenerator<Batch>;
  dispose(): void;
}

/** Where a loader gets 8-bit S×S×3 pixels from. */
interface PixelSource {
  read(paths: readonly string[]): Promise<Uint8Array>;
  close(): void;
}

function decodingSource(root: string, spec: PreprocessSpec): PixelSource {
  const bytes = spec.image_size * spec.image_size * 3;
  return {
    async read(paths) {
      const out = new Uint8Array(paths.length * bytes);
      await mapConcurrent(paths, decodeConcurrency(), async (p, i) => {
        out.set((await prepareImage(path.join(root, p), spec)).data, i * bytes);
      });
      return out;
    },
    close() {},
  };
}

function cacheSource(cache: DataCache): PixelSource {
  return { read: (paths) => cache.readInto(paths), close: () => cache.close() };
}

/** A batch's pixels, cropped and transformed by the policy when configured, and when that ran (performance.now()). */
interface Loaded {
  bytes: Uint8Array;
  start: number;
  end: number;
}

/** The 8-bit augmentation settings when they change any pixel, else undefined. */
function byteAugmentOf(augment: LoaderOptions['augment']): ByteAugmentSettings | undefined {
  if (!augment) return undefined;
  const settings: ByteAugmentSettings = { random_resized_crop: augment.random_resized_crop, policy: augment.policy ?? 'none' };
  return augmentsBytes(settings) ? settings : undefined;
}

/** Backends whose tensor ops run on a GPU or natively, where augmenting tensors beats JavaScript loops. */
const TENSOR_AUGMENT_BACKENDS = new Set(['webgpu', 'webgl', 'tensorflow']);

export function defaultAugmentPlace(backendName: string): 'tensors' | 'pixels' {
  return TENSOR_AUGMENT_BACKENDS.has(backendName) ? 'tensors' : 'pixels';
}

/**
 * Batches of normalised images for training or evaluation. The pixels of the next batch are
 * read (from the cache, or decoded by sharp) while the current batch is in use; tensors are
 * created only when a batch is handed out, so the number of live tensors stays constant.
 */
export async function createLoader(opts: LoaderOptions): Promise<Loader> {
  const { spec, batchSize } = opts;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new TimError(`batch size must be a positive integer (got ${batchSize})`);
  if (opts.items.length === 0) throw new TimError(`no images to load from '${opts.root}'`);
  let source: PixelSource;
  if (opts.cache) {
    // The data set was indexed (and its broken files reported) before any loader is made.
    const cache = await prepareCache(opts.root, spec, { cacheDir: opts.cacheDir, warn: false });
    const missing = opts.items.find((it) => !cache.has(it.path));
    if (missing) {
      cache.close();
      throw new TimError(`'${path.join(opts.root, missing.path)}' is not in the image cache (unreadable or broken)`);
    }
    source = cacheSource(cache);
  } else {
    source = decodingSource(opts.root, spec);
  }
  const size = opts.items.length;
  const full = opts.dropLast ? Math.floor(size / batchSize) : Math.ceil(size / batchSize);
  const numBatches = Math.max(0, Math.min(full, opts.maxBatches ?? full));
  const items = opts.items.slice();
  let disposed = false;

  async function* batches(epoch: number): AsyncGenerator<Batch> {
    if (disposed) throw new TimError('the data loader was disposed');
    const order = opts.shuffle ? seededShuffle(items, `${opts.seed}:order:${epoch}`) : items;
    const chunk = (b: number): DatasetItem[] => order.slice(b * batchSize, (b + 1) * batchSize);
    const byteAugment = byteAugmentOf(opts.augment);
    const load = (b: number): Promise<Loaded> => {
      // Cropping and the policy run as soon as the pixels arrive, while the consumer awaits its
      // step's result (on a GPU: while it computes); their time is counted as preparation.
      const p = source.read(chunk(b).map((it) => it.path)).then((bytes) => {
        const start = performance.now();
        if (!byteAugment) return { bytes, start, end: start };
        const n = chunk(b).length;
        augmentBytes(bytes, n, spec.image_size, drawByteAugmentParams(seedrandom(`${opts.seed}:augment-bytes:${epoch}:${b}`), n, spec.image_size, byteAugment));
        return { bytes, start, end: performance.now() };
      });
      p.catch(() => undefined); // surfaced when awaited; not an unhandled rejection meanwhile
      return p;
    };
    let pending: Promise<Loaded> | undefined = numBatches > 0 ? load(0) : undefined;
    for (let b = 0; b < numBatches; b++) {
      const asked = performance.now();
      const { bytes, start, end } = await (pending as Promise<Loaded>);
      const received = performance.now();
      pending = b + 1 < numBatches ? load(b + 1) : undefined;
      const batchItems = chunk(b);
      const n = batchItems.length;
      const params = opts.augment
        ? drawAugmentParams(seedrandom(`${opts.seed}:augment:${epoch}:${b}`), n, opts.augment)
        : undefined;
      const onPixels = (opts.augmentOn ?? defaultAugmentPlace(tf.getBackend())) === 'pixels';
      const mix = opts.mixup ? drawMix(seedrandom(`${opts.seed}:mixup:${epoch}:${b}`), spec.image_size, spec.image_size, opts.mixup.settings) : undefined;
      // timm mixes the normalised batch; mixing is affine, so before or after normalising is the same.
      const x = tf.tidy(() => {
        if (params && onPixels) {
          const seen = augmentPixels(bytesToUnit(bytes), n, spec.image_size, params);
          const mixed = mix ? mixPixels(seen, n, spec.image_size, mix) : seen;
          return normalizeImages(tf.tensor4d(mixed, [n, spec.image_size, spec.image_size, 3]), spec.mean, spec.std);
        }
        const unit = bytesToUnitTensor(bytes, n, spec.image_size);
        const seen = params ? augmentImages(unit, params) : unit;
        return normalizeImages(mix ? mixImages(seen, mix) : seen, spec.mean, spec.std);
      });
      const labels = batchItems.map((it) => it.label);
      const y = tf.tensor1d(labels, 'int32');
      const targets = opts.mixup && mix
        ? tf.tensor2d(mixupTargets(labels, opts.mixup.numClasses, mix.lam, opts.mixup.settings.label_smoothing), [n, opts.mixup.numClasses])
        : undefined;
      // Augmenting while the consumer waited is preparation, not waiting for images.
      const augmentedWhileWaiting = Math.max(0, Math.min(end, received) - Math.max(start, asked));
      const waitSeconds = (received - asked - augmentedWhileWaiting) / 1000;
      yield { x, y, ...(targets ? { targets } : {}), paths: batchItems.map((it) => it.path), waitSeconds, prepareSeconds: (end - start + performance.now() - received) / 1000 };
    }
  }

  return {
    size,
    numBatches,
    batches,
    dispose() {
      disposed = true;
      source.close();
    },
  };
}
