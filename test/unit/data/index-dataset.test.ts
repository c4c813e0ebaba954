import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import { TimError } from '../../../src/core/errors';
import { setLogLevel } from '../../../src/core/log';
import { indexDataset } from '../../../src/data';
import { tmpDir } from '../../support/tmp';
import { solidRgb, writeNoise } from './images';

// Decoding and reference scripts share 2 cores with the rest of the suite.
jest.setTimeout(30_000);

function captureStderr(): { lines: () => string[]; restore: () => void } {
  const chunks: string[] = [];
  const spy = jest.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => {
    chunks.push(String(c));
    return true;
  });
  return { lines: () => chunks.join('').split('\n').filter(Boolean), restore: () => spy.mockRestore() };
}

describe('indexDataset', () => {
  let root: string;
  let cleanup: () => void;

  beforeAll(async () => {
    ({ dir: root, cleanup } = tmpDir());
    // Good files of every format, with extensions in any case (or none at all).
    await writeNoise(path.join(root, 'b_monet', 'one.JPG'), 30, 20, 'jpeg');
    await writeNoise(path.join(root, 'b_monet', 'two.JpEg'), 20, 30, 'jpeg');
    await writeNoise(path.join(root, 'b_monet', 'three.png'), 20, 20, 'png');
    await writeNoise(path.join(root, 'b_monet', 'nested', 'four.webp'), 24, 16, 'webp');
    await writeNoise(path.join(root, 'a_degas', 'five.TIFF'), 16, 24, 'tiff');
    await writeNoise(path.join(root, 'a_degas', 'six'), 16, 16, 'png');
    // An animated GIF: the first frame is red, the second blue.
    const frames = Buffer.concat([solidRgb(12, 12, [255, 0, 0]), solidRgb(12, 12, [0, 0, 255])]);
    fs.mkdirSync(path.join(root, 'a_degas'), { recursive: true });
    await sharp(frames, { raw: { width: 12, height: 24, channels: 3, pageHeight: 12 } })
      .gif()
      .toFile(path.join(root, 'a_degas', 'anim.gif'));
    // Broken files, one of each kind.
    fs.writeFileSync(path.join(root, 'a_degas', 'empty.jpg'), '');
    const jpeg = fs.readFileSync(path.join(root, 'b_monet', 'one.JPG'));
    fs.writeFileSync(path.join(root, 'a_degas', 'cut.jpg'), jpeg.subarray(0, Math.floor(jpeg.length / 2)));
    fs.writeFileSync(path.join(root, 'b_monet', 'notes.jpg'), 'these are not pixels');
    fs.symlinkSync(path.join(root, 'nowhere.png'), path.join(root, 'b_monet', 'gone.png'));
    // Hidden files and folders are not part of the data set at all.
    fs.writeFileSync(path.join(root, 'b_monet', '.DS_Store'), 'junk');
    await writeNoise(path.join(root, 'b_monet', '.hidden', 'seven.png'), 10, 10);
    await writeNoise(path.join(root, '.trash', 'eight.png'), 10, 10);
    fs.writeFileSync(path.join(root, 'README.txt'), 'not a class');
  });
  afterAll(() => cleanup());

  it('finds classes sorted by name, images by content, and skips broken files with one warning each', async () => {
    const err = captureStderr();
    let index;
    try {
      index = await indexDataset(root);
    } finally {
      err.restore();
    }
    expect(index.classes).toEqual(['a_degas', 'b_monet']);
    expect(index.items).toEqual([
      { path: 'a_degas/anim.gif', label: 0 },
      { path: 'a_degas/five.TIFF', label: 0 },
      { path: 'a_degas/six', label: 0 },
      { path: 'b_monet/nested/four.webp', label: 1 },
      { path: 'b_monet/one.JPG', label: 1 },
      { path: 'b_monet/three.png', label: 1 },
      { path: 'b_monet/two.JpEg', label: 1 },
    ]);
    const reasons = Object.fromEntries(index.skipped.map((s) => [s.path, s.reason]));
    expect(Object.keys(reasons).sort()).toEqual(['a_degas/cut.jpg', 'a_degas/empty.jpg', 'b_monet/gone.png', 'b_monet/notes.jpg']);
    expect(reasons['a_degas/empty.jpg']).toBe('zero bytes');
    expect(reasons['a_degas/cut.jpg']).toMatch(/truncated|corrupt/);
    expect(reasons['b_monet/notes.jpg']).toBe('not an image');
    expect(reasons['b_monet/gone.png']).toMatch(/unreadable/);
    const warnings = err.lines().filter((l) => l.startsWith('warning:'));
    expect(warnings).toHaveLength(4);
    for (const s of index.skipped) expect(warnings.some((w) => w.includes(s.path))).toBe(true);
  });

  it('notices a file that changed since it was last checked', async () => {
    const { dir, cleanup: done } = tmpDir();
    try {
      await writeNoise(path.join(dir, 'a', 'x.jpg'), 40, 30, 'jpeg');
      await writeNoise(path.join(dir, 'a', 'y.jpg'), 40, 30, 'jpeg');
      await writeNoise(path.join(dir, 'b', 'z.jpg'), 40, 30, 'jpeg');
      expect((await indexDataset(dir)).items).toHaveLength(3);
      const file = path.join(dir, 'a', 'y.jpg');
      const bytes = fs.readFileSync(file);
      fs.writeFileSync(file, bytes.subarray(0, bytes.length - 200));
      const err = captureStderr();
      try {
        const again = await indexDataset(dir);
        expect(again.items.map((i) => i.path)).toEqual(['a/x.jpg', 'b/z.jpg']);
        expect(again.skipped.map((s) => s.path)).toEqual(['a/y.jpg']);
      } finally {
        err.restore();
      }
    } finally {
      done();
    }
  });

  it('checks every image again when the record of checked files has a wrong key, saying which (--verbose)', async () => {
    const { dir, cleanup: done } = tmpDir();
    try {
      await writeNoise(path.join(dir, 'data', 'a', 'x.jpg'), 40, 30, 'jpeg');
      await writeNoise(path.join(dir, 'data', 'b', 'z.jpg'), 40, 30, 'jpeg');
      const opts = { cacheDir: path.join(dir, 'cache') };
      await indexDataset(path.join(dir, 'data'), opts);
      const record = path.join(dir, 'cache', 'checked-files.json');
      const saved = JSON.parse(fs.readFileSync(record, 'utf8')) as { files: Record<string, object> };
      fs.writeFileSync(record, JSON.stringify({ ...saved, files: { ...saved.files, 'a/x.jpg': { ...saved.files['a/x.jpg'], width: 'wide' } } }));
      const err = captureStderr();
      setLogLevel('verbose');
      try {
        const again = await indexDataset(path.join(dir, 'data'), opts);
        expect(again.items.map((i) => i.path)).toEqual(['a/x.jpg', 'b/z.jpg']);
        expect(err.lines()).toContain(`checking every image again: ${record}: key 'files.a/x.jpg.width': expected number, got 'wide' (text)`);
      } finally {
        setLogLevel('info');
        err.restore();
      }
      expect(JSON.parse(fs.readFileSync(record, 'utf8'))).toEqual(saved);
    } finally {
      done();
    }
  });

  it('rejects a missing root, a single class and a class without usable images', async () => {
    const { dir, cleanup: done } = tmpDir();
    try {
      await expect(indexDataset(path.join(dir, 'missing'))).rejects.toThrow(/does not exist/);
      await writeNoise(path.join(dir, 'only', 'a.png'), 8, 8);
      await expect(indexDataset(dir)).rejects.toThrow(/at least two classes/);
      fs.mkdirSync(path.join(dir, 'void'));
      fs.writeFileSync(path.join(dir, 'void', 'bad.png'), '');
      const err = captureStderr();
      try {
        await expect(indexDataset(dir)).rejects.toThrow(TimError);
        await expect(indexDataset(dir)).rejects.toThrow(/'void'.*no usable image/);
      } finally {
        err.restore();
      }
    } finally {
      done();
    }
  });
});

describe('GIF', () => {
  it('uses the first frame of an animation', async () => {
    const { dir, cleanup } = tmpDir();
    try {
      const frames = Buffer.concat([solidRgb(10, 10, [250, 10, 10]), solidRgb(10, 10, [10, 10, 250])]);
      const file = path.join(dir, 'anim.gif');
      await sharp(frames, { raw: { width: 10, height: 20, channels: 3, pageHeight: 10 } }).gif().toFile(file);
      const { prepareImage } = await import('../../../src/data');
      const p = await prepareImage(file, { image_size: 8, resize: 'letterbox' });
      expect(p.box).toEqual({ x: 0, y: 0, width: 8, height: 8 });
      expect(p.data[0]).toBeGreaterThan(200);
      expect(p.data[2]).toBeLessThan(60);
    } finally {
      cleanup();
    }
  });
});

describe('indexDataset with links', () => {
  it('follows links to files, reads each folder once, never walks an ancestor, and gives no image two labels', async () => {
    const { dir: root, cleanup } = tmpDir();
    const outside = tmpDir();
    const err = captureStderr();
    try {
      await writeNoise(path.join(root, 'Alpha', 'a1.png'), 16, 16, 'png');
      await writeNoise(path.join(root, 'Alpha', 'shared.png'), 16, 16, 'png');
      await writeNoise(path.join(root, 'Beta', 'b1.png'), 16, 16, 'png');
      await writeNoise(path.join(root, 'Gamma', 'g1.png'), 16, 16, 'png');
      fs.symlinkSync('..', path.join(root, 'Beta', 'loop'));
      fs.symlinkSync('../..', path.join(root, 'Beta', 'outside'));
      fs.symlinkSync('.', path.join(root, 'Gamma', 'self1'));
      fs.symlinkSync('.', path.join(root, 'Gamma', 'self2'));
      fs.symlinkSync('../Alpha/shared.png', path.join(root, 'Beta', 'stolen.png'));
      fs.symlinkSync('g1.png', path.join(root, 'Gamma', 'again.png'));
      // A folder outside the root, linked in: followed, as a symlink farm needs.
      await writeNoise(path.join(outside.dir, 'e1.png'), 16, 16, 'png');
      fs.symlinkSync(outside.dir, path.join(root, 'Gamma', 'sub'));
      // One file outside, linked from two classes: neither is its own class, so it is left out of both.
      await writeNoise(path.join(outside.dir, '..', `${path.basename(outside.dir)}-lone.png`), 16, 16, 'png');
      const lone = path.join(outside.dir, '..', `${path.basename(outside.dir)}-lone.png`);
      fs.symlinkSync(lone, path.join(root, 'Alpha', 'lone.png'));
      fs.symlinkSync(lone, path.join(root, 'Beta', 'lone.png'));
      const index = await indexDataset(root);
      const byLabel = index.items.map((it) => `${index.classes[it.label]}:${it.path}`).sort();
      // Beta's link to Alpha's image does not take the image from Alpha: it counts there, once.
      expect(byLabel).toEqual(['Alpha:Alpha/a1.png', 'Alpha:Alpha/shared.png', 'Beta:Beta/b1.png', 'Gamma:Gamma/again.png', 'Gamma:Gamma/sub/e1.png']);
      const warned = err.lines().join('\n');
      expect(warned).toMatch(/ignoring .*Beta\/loop: a link to a folder holding the data root; not followed/);
      expect(warned).toMatch(/ignoring .*Beta\/outside: a link to a folder holding the data root/);
      expect(warned).toMatch(/ignoring .*Gamma\/self1: the same folder as one already read/);
      expect(warned).toMatch(/ignoring .*Beta\/stolen\.png: a link to Alpha\/shared\.png of class 'Alpha'; that image counts once, in its own class/);
      expect(warned).not.toMatch(/ignoring \S*Alpha\/shared\.png:/);
      expect(warned).toMatch(/ignoring .*Alpha\/lone\.png: the same file .* is under classes 'Alpha' and 'Beta'; left out of all of them/);
      expect(warned).toMatch(/ignoring .*Beta\/lone\.png: the same file .* is under classes 'Alpha' and 'Beta'; left out of all of them/);
      expect(warned).toMatch(/ignoring .*Gamma\/g1\.png: the same file as another of class 'Gamma'/);
    } finally {
      err.restore();
      cleanup();
      outside.cleanup();
      fs.rmSync(path.join(outside.dir, '..', `${path.basename(outside.dir)}-lone.png`), { force: true });
    }
  });

  it('refuses a class folder that is a link to another class folder, or into one, naming the link', async () => {
    const { dir: root, cleanup } = tmpDir();
    try {
      await writeNoise(path.join(root, 'Alpha', 'a1.png'), 16, 16, 'png');
      await writeNoise(path.join(root, 'Alpha', 'inner', 'a2.png'), 16, 16, 'png');
      await writeNoise(path.join(root, 'Gamma', 'g1.png'), 16, 16, 'png');
      fs.symlinkSync('Alpha', path.join(root, 'Beta'));
      await expect(indexDataset(root)).rejects.toThrow(new RegExp(`^${path.join(root, 'Beta').replace(/[/.]/g, '\\$&')}: a link to the class folder 'Alpha' .*two classes cannot share images`));
      fs.rmSync(path.join(root, 'Beta'));
      fs.symlinkSync(path.join('Alpha', 'inner'), path.join(root, 'Zeta'));
      await expect(indexDataset(root)).rejects.toThrow(/Zeta: a link to the class folder 'Alpha'/);
    } finally {
      cleanup();
    }
  });
});

describe('reasons for broken files', () => {
  it('are the file\'s own, once each, even when many are decoded at once', async () => {
    const { dir: root, cleanup } = tmpDir();
    const err = captureStderr();
    try {
      const pixels = Buffer.from(Array.from({ length: 256 * 192 * 3 }, (_, i) => (i * 7919) % 256));
      const jpeg = await sharp(pixels, { raw: { width: 256, height: 192, channels: 3 } }).jpeg().toBuffer();
      for (const c of ['a', 'b']) {
        fs.mkdirSync(path.join(root, c));
        fs.writeFileSync(path.join(root, c, 'good.jpg'), jpeg);
        for (let i = 0; i < 30; i++) fs.writeFileSync(path.join(root, c, `t${i}.jpg`), jpeg.subarray(0, 200 + i * 700));
      }
      const index = await indexDataset(root, { cacheDir: path.join(root, '..', `${path.basename(root)}-cache`) });
      expect(index.skipped.length).toBeGreaterThan(10);
      for (const s of index.skipped) {
        expect({ path: s.path, unknown: /unknown error/i.test(s.reason) }).toEqual({ path: s.path, unknown: false });
        const parts = s.reason.split(/\s+(?=Vips\w*: )/);
        expect({ path: s.path, repeated: parts.length !== new Set(parts).size }).toEqual({ path: s.path, repeated: false });
      }
      const warnings = err.lines().filter((l) => l.startsWith('warning: skipping'));
      expect(warnings).toHaveLength(index.skipped.length);
    } finally {
      err.restore();
      fs.rmSync(path.join(root, '..', `${path.basename(root)}-cache`), { recursive: true, force: true });
      cleanup();
    }
  });
});
