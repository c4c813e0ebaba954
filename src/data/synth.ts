import * as fs from 'fs';
import * as path from 'path';
import seedrandom from 'seedrandom';
import sharp from 'sharp';
import { TimError } from '../core/errors';
import { log } from '../core/log';
import { checkOutputFolder, type OutputFolderRule, replaceOutputFolder } from '../io/output-folder';
import { progressLine } from '../core/progress';
import { decodeConcurrency, mapConcurrent } from './concurrency';
import { artistFolderName, REFERENCE_ARTISTS } from './synth-artists';

/** `Math` once, as a module constant: a global lookup per pixel is slow inside vm sandboxes (jest). */
const M = Math;

/**
 * "Synthetic artists": a small procedural data set for the quick start and for tests. Each
 * artist has a fixed style (palette, stroke direction, length and width, texture, typical
 * canvas shape); every painting varies it (hue drift, composition, stroke count, size), so a
 * small CNN has something real to learn and nothing to memorise pixel by pixel.
 */

type Texture = 'strokes' | 'dots' | 'blocks' | 'swirls' | 'hatching' | 'rings';
const TEXTURES: Texture[] = ['strokes', 'dots', 'blocks', 'swirls', 'hatching'];
type Shape = 'portrait' | 'landscape' | 'square';

export interface ArtistStyle {
  name: string;
  folder: string;
  /** Colours as [r, g, b] in 0–255. */
  palette: Array<[number, number, number]>;
  background: [number, number, number];
  /** Main stroke direction in degrees and the spread around it. */
  angle: number;
  spread: number;
  /** Stroke length and width as fractions of the canvas's long side. */
  length: number;
  width: number;
  texture: Texture;
  /** Grain: amplitude of per-pixel noise, 0–255. */
  grain: number;
  /** Weights of portrait, landscape and square canvases. */
  shapes: [number, number, number];
}

/** Default total number of paintings (scale 1): about 750, the smallest class 10. */
const BASE_TOTAL = 750;

function hslToRgb(h: number, s: number, l: number): [number, number, number] {
  const hue = ((h % 1) + 1) % 1;
  const a = s * M.min(l, 1 - l);
  const f = (n: number): number => {
    const k = (n + hue * 12) % 12;
    return M.round(255 * (l - a * M.max(-1, M.min(k - 3, 9 - k, 1))));
  };
  return [f(0), f(8), f(4)];
}

/** The style of artist `k`: fixed, so an artist looks the same whatever the seed. */
/** Name of the i-th (0-based) extra artist, one none of the 31 shares a style with. */
export function extraArtistName(i: number): string {
  return `Extra Artist ${i + 1}`;
}

/** Paintings per extra artist. */
const EXTRA_COUNT = 24;

/**
 * The style of artist `k`: the 31 reference artists first, then extra artists, whose texture
 * (rings) none of the 31 uses, for measuring "not one of my artists".
 */
export function artistStyle(k: number): ArtistStyle {
  const extra = k >= REFERENCE_ARTISTS.length;
  const [name] = REFERENCE_ARTISTS[k] ?? [extraArtistName(k - REFERENCE_ARTISTS.length), 0];
  const rng = seedrandom(`tim-synthetic-artist:${k}`);
  const hue = (k * 0.61803398875) % 1;
  const light = [0.3, 0.5, 0.68][k % 3] ?? 0.5;
  const sat = 0.45 + 0.5 * rng();
  const palette: Array<[number, number, number]> = [
    hslToRgb(hue, sat, light),
    hslToRgb(hue + 0.06 + 0.05 * rng(), sat, M.min(0.85, light + 0.15)),
    hslToRgb(hue - 0.05 - 0.05 * rng(), sat * 0.8, M.max(0.15, light - 0.15)),
    hslToRgb(hue + 0.5, 0.7, 0.55),
  ];
  const bgLight = [0.12, 0.85, 0.45][M.floor(k / 3) % 3] ?? 0.5;
  const shapeKind = k % 3;
  return {
    name,
    folder: artistFolderName(name),
    palette,
    background: hslToRgb(hue + 0.1 * (rng() - 0.5), sat * 0.5, bgLight),
    angle: (k * 47) % 180,
    spread: 4 + 30 * rng(),
    length: 0.06 + 0.3 * rng(),
    width: 0.012 + 0.03 * rng(),
    texture: extra ? 'rings' : (TEXTURES[(k * 2 + M.floor(k / 5)) % TEXTURES.length] as Texture),
    grain: 4 + 24 * rng(),
    shapes: shapeKind === 0 ? [0.6, 0.2, 0.2] : shapeKind === 1 ? [0.2, 0.6, 0.2] : [0.25, 0.25, 0.5],
  };
}

/** How many paintings each artist gets at a scale: the reference's proportions, at least 4. */
export function synthCounts(scale = 1): number[] {
  const total = REFERENCE_ARTISTS.reduce((s, [, n]) => s + n, 0);
  return REFERENCE_ARTISTS.map(([, n]) => M.max(4, M.round((n / total) * BASE_TOTAL * scale)));
}

/** An RGB float canvas with simple painting operations. */
class Canvas {
  readonly px: Float32Array;
  constructor(readonly w: number, readonly h: number) {
    this.px = new Float32Array(w * h * 3);
  }

  gradient(top: number[], bottom: number[]): void {
    for (let y = 0; y < this.h; y++) {
      const t = y / M.max(1, this.h - 1);
      for (let x = 0; x < this.w; x++) {
        const o = (y * this.w + x) * 3;
        for (let c = 0; c < 3; c++) this.px[o + c] = (top[c] ?? 0) * (1 - t) + (bottom[c] ?? 0) * t;
      }
    }
  }

  disc(cx: number, cy: number, r: number, rgb: number[], alpha: number): void {
    const x0 = M.max(0, M.floor(cx - r)), x1 = M.min(this.w - 1, M.ceil(cx + r));
    const y0 = M.max(0, M.floor(cy - r)), y1 = M.min(this.h - 1, M.ceil(cy + r));
    const r2 = r * r;
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        if ((x - cx) ** 2 + (y - cy) ** 2 > r2) continue;
        const o = (y * this.w + x) * 3;
        for (let c = 0; c < 3; c++) this.px[o + c] = (this.px[o + c] ?? 0) * (1 - alpha) + (rgb[c] ?? 0) * alpha;
      }
    }
  }

  /** A stroke: discs stamped along a path that may bend by `curl` radians per step. */
  stroke(x: number, y: number, angle: number, length: number, width: number, rgb: number[], alpha: number, curl = 0): void {
    const step = M.max(0.7, width * 0.5);
    let a = angle;
    for (let d = 0; d <= length; d += step) {
      this.disc(x, y, width / 2, rgb, alpha);
      x += M.cos(a) * step;
      y += M.sin(a) * step;
      a += curl * step;
    }
  }

  rect(cx: number, cy: number, w: number, h: number, angle: number, rgb: number[], alpha: number): void {
    const cos = M.cos(angle), sin = M.sin(angle);
    const r = M.hypot(w, h) / 2;
    const x0 = M.max(0, M.floor(cx - r)), x1 = M.min(this.w - 1, M.ceil(cx + r));
    const y0 = M.max(0, M.floor(cy - r)), y1 = M.min(this.h - 1, M.ceil(cy + r));
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const u = (x - cx) * cos + (y - cy) * sin;
        const v = -(x - cx) * sin + (y - cy) * cos;
        if (M.abs(u) > w / 2 || M.abs(v) > h / 2) continue;
        const o = (y * this.w + x) * 3;
        for (let c = 0; c < 3; c++) this.px[o + c] = (this.px[o + c] ?? 0) * (1 - alpha) + (rgb[c] ?? 0) * alpha;
      }
    }
  }

  grain(rng: () => number, amplitude: number): void {
    for (let i = 0; i < this.px.length; i += 3) {
      const n = (rng() - 0.5) * 2 * amplitude;
      for (let c = 0; c < 3; c++) this.px[i + c] = (this.px[i + c] ?? 0) + n;
    }
  }

  toBytes(): Buffer {
    const out = Buffer.alloc(this.px.length);
    for (let i = 0; i < this.px.length; i++) out[i] = M.max(0, M.min(255, M.round(this.px[i] ?? 0)));
    return out;
  }
}

function pickShape(rng: () => number, weights: [number, number, number]): Shape {
  const u = rng() * (weights[0] + weights[1] + weights[2]);
  return u < weights[0] ? 'portrait' : u < weights[0] + weights[1] ? 'landscape' : 'square';
}

function jitterColour(rgb: number[], rng: () => number, amount: number): number[] {
  const shift = (rng() - 0.5) * 2 * amount;
  return rgb.map((v) => v + shift + (rng() - 0.5) * amount);
}

/** Paints one picture of an artist: raw RGB bytes and its size. */
export function paint(style: ArtistStyle, rng: () => number): { data: Buffer; width: number; height: number } {
  const shape = pickShape(rng, style.shapes);
  const long = M.round(96 + rng() * 64);
  const ratio = shape === 'square' ? 1 : 1.2 + rng() * 0.45;
  const short = M.round(long / ratio);
  const [width, height] = shape === 'landscape' ? [long, short] : [short, long];
  const cv = new Canvas(width, height);
  const bg = jitterColour(style.background, rng, 18);
  cv.gradient(bg, jitterColour(style.palette[2] ?? bg, rng, 20).map((v, i) => (v + (bg[i] ?? 0)) / 2));
  // A composition: a few large shapes in palette colours, placed differently every time.
  const subjects = 1 + M.floor(rng() * 3);
  for (let s = 0; s < subjects; s++) {
    const col = jitterColour(style.palette[M.floor(rng() * style.palette.length)] ?? bg, rng, 20);
    cv.disc(rng() * width, rng() * height, long * (0.12 + 0.2 * rng()), col, 0.55);
  }
  const unit = long;
  const base = (style.angle * M.PI) / 180;
  const count = M.round((style.texture === 'blocks' ? 30 : 160) * (0.7 + 0.6 * rng()) * (unit / 128) ** 2);
  for (let i = 0; i < count; i++) {
    const colour = jitterColour(style.palette[M.floor(rng() * 3.3)] ?? style.palette[0] ?? bg, rng, 25);
    const a = base + (((rng() - 0.5) * 2 * style.spread) * M.PI) / 180;
    const x = rng() * width, y = rng() * height;
    const len = unit * style.length * (0.6 + 0.8 * rng());
    const w = M.max(1, unit * style.width * (0.7 + 0.6 * rng()));
    switch (style.texture) {
      case 'strokes':
        cv.stroke(x, y, a, len, w, colour, 0.85);
        break;
      case 'swirls':
        cv.stroke(x, y, a, len * 1.4, w, colour, 0.8, ((rng() < 0.5 ? -1 : 1) * (1.5 + rng())) / M.max(8, len * 1.4));
        break;
      case 'dots':
        cv.disc(x, y, w * 1.3, colour, 0.9);
        break;
      case 'blocks':
        cv.rect(x, y, len, len * (0.3 + 0.5 * rng()), base, colour, 0.9);
        break;
      case 'rings':
        cv.disc(x, y, w * 3, colour, 0.9);
        cv.disc(x, y, w * 1.8, bg, 0.9);
        break;
      case 'hatching':
        cv.stroke(x, y, a, len, M.max(1, w * 0.5), colour, 0.9);
        cv.stroke(x, y, a + M.PI / 2, len * 0.6, M.max(1, w * 0.5), colour, 0.6);
        break;
    }
  }
  cv.grain(rng, style.grain);
  return { data: cv.toBytes(), width, height };
}

export interface SynthOptions {
  seed: number;
  /** Multiplies the number of paintings (1: about 750). */
  scale?: number;
  /** Show a progress line (default true). */
  progress?: boolean;
  /** Extra artists beyond the 31, in a style none of them shares (default 0). */
  extraArtists?: number;
}

export const SYNTH_MARKER = '.synthetic-artists.json';

/** A set written before Tim marked its outputs: its own marker, and only its class folders' pictures. */
const SYNTH_RULE: OutputFolderRule = {
  legacy: (_dir, files) => files.includes(SYNTH_MARKER) && files.every((f) => f === SYNTH_MARKER || /^([^/]+)\/\1_\d+\.(jpg|png)$/.test(f)),
};

/**
 * Writes the synthetic-artists data set to `out` (one folder per artist; JPEG with a few
 * PNG). The same seed and scale always give the same files. An existing `out` is replaced
 * as a whole, only once the new set is complete.
 */
export async function synthesizeDataset(out: string, opts: SynthOptions): Promise<{ classes: string[]; count: number }> {
  const scale = opts.scale ?? 1;
  if (!(scale > 0) || !Number.isFinite(scale)) throw new TimError(`synth scale must be a positive number (got ${scale})`);
  if (!Number.isInteger(opts.seed)) throw new TimError(`synth seed must be an integer (got ${opts.seed})`);
  checkOutputFolder(out, 'synthetic data set', SYNTH_RULE);
  const extras = opts.extraArtists ?? 0;
  if (!Number.isInteger(extras) || extras < 0) throw new TimError(`synth extra artists must be a whole number ≥ 0 (got ${extras})`);
  const counts = [...synthCounts(scale), ...Array.from({ length: extras }, () => M.max(4, M.round(EXTRA_COUNT * scale)))];
  const styles = counts.map((_, k) => artistStyle(k));
  const jobs = styles.flatMap((style, k) => Array.from({ length: counts[k] ?? 0 }, (_, i) => ({ style, i })));
  const classes = styles.map((s) => s.folder).sort();
  const bar = opts.progress === false ? undefined : progressLine(`painting ${jobs.length} pictures`, jobs.length);
  await replaceOutputFolder(
    out,
    'synthetic data set',
    async (tmp) => {
    for (const s of styles) fs.mkdirSync(path.join(tmp, s.folder));
    await mapConcurrent(
      jobs,
      decodeConcurrency(),
      async ({ style, i }) => {
        const rng = seedrandom(`${opts.seed}:${style.folder}:${i}`);
        const { data, width, height } = paint(style, rng);
        const png = rng() < 0.08;
        const img = sharp(data, { raw: { width, height, channels: 3 } });
        const file = path.join(tmp, style.folder, `${style.folder}_${String(i + 1).padStart(3, '0')}.${png ? 'png' : 'jpg'}`);
        await (png ? img.png() : img.jpeg({ quality: 88 })).toFile(file);
      },
      (done) => bar?.tick(done),
    );
    fs.writeFileSync(
      path.join(tmp, SYNTH_MARKER),
      `${JSON.stringify({ generator: 'tim synthetic artists', seed: opts.seed, scale, count: jobs.length, ...(extras ? { extra_artists: extras } : {}) }, null, 2)}\n`,
    );
    },
    SYNTH_RULE,
  );
  bar?.end();
  log.info(`wrote ${jobs.length} paintings by ${classes.length} synthetic artists to ${out}`);
  return { classes, count: jobs.length };
}
