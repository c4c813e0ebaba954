import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import seedrandom from 'seedrandom';
import sharp from 'sharp';
import { log } from '../src/core/log';
import { mapConcurrent } from '../src/data/concurrency';
import { artistStyle, paint } from '../src/data/synth';

/**
 * The cache build against Pillow: a few hundred large JPEGs (1500×1100, the size of scanned
 * paintings) letterboxed to 224 px, once by `tim data prepare` (sharp, shrink-on-load,
 * concurrent decoding) and once by Pillow's `ImageOps.pad` in a Python loop, each as a whole
 * process (start-up, decoding, resizing, writing the result) in the same run.
 */

export interface DataBenchOptions {
  /** Number of JPEGs (default 300). */
  count?: number;
  /** Input width and height (default 1500×1100). */
  width?: number;
  height?: number;
  /** Letterbox size (default 224). */
  imageSize?: number;
  /** Timed repetitions of each side; the best time counts (default 1). */
  repeat?: number;
  /** Where the generated JPEGs are kept between runs (default <tmp>/tim-bench-data). */
  workDir?: string;
  /** Interpreter with Pillow (default /usr/bin/python3). */
  python?: string;
  json?: boolean;
}

export interface DataBenchResult {
  images: number;
  input: string;
  image_size: number;
  tim_seconds: number;
  pillow_seconds: number;
  /** Pillow's time over Tim's: how many times faster the cache build is. */
  speedup: number;
}

const ROOT = path.resolve(__dirname, '..');

function numberOf(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** Accepts both the typed options and yargs' argv (kebab- or camel-case keys). */
function normalise(opts: DataBenchOptions | Record<string, unknown>): Required<Omit<DataBenchOptions, 'json'>> & { json: boolean } {
  const o = opts as Record<string, unknown>;
  return {
    count: numberOf(o.count) ?? 300,
    width: numberOf(o.width) ?? 1500,
    height: numberOf(o.height) ?? 1100,
    imageSize: numberOf(o.imageSize) ?? numberOf(o['image-size']) ?? 224,
    repeat: numberOf(o.repeat) ?? 1,
    workDir: (typeof o.workDir === 'string' ? o.workDir : typeof o['work-dir'] === 'string' ? o['work-dir'] : undefined) ?? path.join(os.tmpdir(), 'tim-bench-data'),
    python: typeof o.python === 'string' ? o.python : '/usr/bin/python3',
    json: o.json === true,
  };
}

/**
 * Large textured JPEGs in `classes` class folders: synthetic paintings enlarged, with fine grain
 * so that the JPEGs carry the detail (and the decoding cost) of scanned paintings. Kept between
 * runs under `dir`, one folder per count, size and class count.
 */
export async function ensureLargeJpegs(dir: string, opts: { count: number; width: number; height: number; classes?: number }): Promise<string> {
  const { count, width, height } = opts;
  const classes = opts.classes ?? 2;
  const root = path.join(dir, `jpeg-${width}x${height}-${count}${classes === 2 ? '' : `-c${classes}`}`);
  const marker = path.join(root, '.complete');
  if (fs.existsSync(marker)) return root;
  fs.rmSync(root, { recursive: true, force: true });
  log.info(`generating ${count} JPEGs of ${width}x${height} in ${root} (once)`);
  await mapConcurrent(
    Array.from({ length: count }, (_, i) => i),
    4,
    async (i) => {
      const cls = path.join(root, `class_${i % classes}`);
      fs.mkdirSync(cls, { recursive: true });
      const rng = seedrandom(`bench:${i}`);
      const p = paint(artistStyle(i % 31), rng);
      const noise = await sharp({ create: { width, height, channels: 3, background: { r: 128, g: 128, b: 128 }, noise: { type: 'gaussian', mean: 128, sigma: 24 } } })
        .png()
        .toBuffer();
      await sharp(p.data, { raw: { width: p.width, height: p.height, channels: 3 } })
        .resize(width, height, { fit: 'fill', kernel: 'cubic' })
        .composite([{ input: noise, blend: 'soft-light' }])
        .jpeg({ quality: 90 })
        .toFile(path.join(cls, `painting_${String(i).padStart(4, '0')}.jpg`));
    },
  );
  fs.writeFileSync(marker, '');
  return root;
}

function timed(cmd: string, args: string[]): number {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CI: '1' } });
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${(r.stderr || r.stdout || String(r.error)).slice(-400)}`);
  return seconds;
}

export async function runDataBench(opts: DataBenchOptions | Record<string, unknown> = {}): Promise<DataBenchResult> {
  const o = normalise(opts);
  const images = await ensureLargeJpegs(o.workDir, { count: o.count, width: o.width, height: o.height });
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'tim-bench-out-'));
  let tim = Infinity;
  let pillow = Infinity;
  try {
    for (let r = 0; r < o.repeat; r++) {
      pillow = Math.min(pillow, timed(o.python, [path.join(ROOT, 'scripts', 'data_pillow_letterbox.py'), 'folder', images, String(o.imageSize), path.join(out, 'pillow.bin')]));
      tim = Math.min(
        tim,
        timed(process.execPath, [
          path.join(ROOT, 'bin', 'tim.js'), 'data', 'prepare', '--root', images, '--image-size', String(o.imageSize),
          '--resize', 'letterbox', '--cache-dir', path.join(out, 'cache'), '--force', '--quiet',
        ]),
      );
    }
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
  const result: DataBenchResult = {
    images: o.count,
    input: `${o.width}x${o.height} JPEG`,
    image_size: o.imageSize,
    tim_seconds: Number(tim.toFixed(3)),
    pillow_seconds: Number(pillow.toFixed(3)),
    speedup: Number((pillow / tim).toFixed(2)),
  };
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  process.stdout.write(
    o.json
      ? `${JSON.stringify(result, null, 2)}\n`
      : `data cache build, ${o.count} ${result.input} -> ${o.imageSize} px letterbox, whole process, ${cores} cores\n` +
          `  tim data prepare (sharp)     ${tim.toFixed(2)} s  (${(o.count / tim).toFixed(0)} images/s)\n` +
          `  Pillow ImageOps.pad loop     ${pillow.toFixed(2)} s  (${(o.count / pillow).toFixed(0)} images/s)\n` +
          `  speedup                      ${result.speedup.toFixed(2)}x\n`,
  );
  return result;
}
