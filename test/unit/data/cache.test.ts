import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { setLogLevel } from '../../../src/core/log';
import { makeDirs } from '../../../src/io/make-dirs';
import { defaultCacheDir, indexDataset, prepareCache, prepareImage } from '../../../src/data';
import { tmpDir } from '../../support/tmp';
import { writeNoise } from './images';

// Decoding and reference scripts share 2 cores with the rest of the suite.
jest.setTimeout(30_000);

describe('image cache', () => {
  let root: string;
  let cleanup: () => void;
  const settings = { image_size: 12, resize: 'letterbox' as const };
  const cacheFiles = (dir: string): string[] => fs.readdirSync(dir).filter((n) => n.startsWith('images-')).sort();

  beforeAll(async () => {
    ({ dir: root, cleanup } = tmpDir());
    for (let i = 0; i < 6; i++) await writeNoise(path.join(root, i % 2 ? 'b' : 'a', `p${i}.jpg`), 20 + i * 3, 15, 'jpeg');
    fs.writeFileSync(path.join(root, 'a', 'broken.jpg'), 'no');
  });
  afterAll(() => cleanup());

  it('stores each image exactly as prepareImage gives it and skips broken files', async () => {
    const warn = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const cache = await prepareCache(root, settings, { progress: false });
      expect(cache.built).toBe(true);
      expect(cache.size).toBe(6);
      expect(cache.skipped).toEqual([{ path: 'a/broken.jpg', reason: 'not an image' }]);
      for (const p of ['a/p0.jpg', 'b/p5.jpg']) {
        const want = await prepareImage(path.join(root, p), settings);
        const got = await cache.read(p);
        expect(got.box).toEqual(want.box);
        expect(Buffer.from(got.data).equals(Buffer.from(want.data))).toBe(true);
      }
      // Compact: exactly S×S×3 bytes per usable image.
      expect(fs.statSync(cache.file).size).toBe(6 * 12 * 12 * 3);
      cache.close();
    } finally {
      warn.mockRestore();
    }
  });

  it('is reused while nothing changes and rebuilt when a file or the settings change', async () => {
    const quiet = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const dir = defaultCacheDir(root);
      const first = await prepareCache(root, settings, { progress: false });
      first.close();
      const again = await prepareCache(root, settings, { progress: false });
      expect(again.built).toBe(false);
      expect(again.file).toBe(first.file);
      again.close();

      // A repainted file: new content, size and modification time.
      await writeNoise(path.join(root, 'b', 'p3.jpg'), 40, 41, 'jpeg', 'repainted');
      const changed = await prepareCache(root, settings, { progress: false });
      expect(changed.built).toBe(true);
      expect(changed.file).not.toBe(first.file);
      expect((await changed.read('b/p3.jpg')).box).toEqual({ x: 0, y: 0, width: 12, height: 12 });
      changed.close();
      expect(cacheFiles(dir)).toHaveLength(2); // the stale one was removed

      // A new file.
      await writeNoise(path.join(root, 'a', 'new.png'), 10, 10, 'png');
      const added = await prepareCache(root, settings, { progress: false });
      expect(added.built).toBe(true);
      expect(added.has('a/new.png')).toBe(true);
      added.close();

      // Other preprocessing settings get a cache of their own.
      const stretched = await prepareCache(root, { image_size: 12, resize: 'stretch' }, { progress: false });
      expect(stretched.built).toBe(true);
      expect((await stretched.read('a/p0.jpg')).box).toEqual({ x: 0, y: 0, width: 12, height: 12 });
      stretched.close();
      expect(cacheFiles(dir)).toHaveLength(4);
    } finally {
      quiet.mockRestore();
    }
  });
});

describe('a damaged image cache manifest', () => {
  it('with a wrong key is rebuilt, saying which file and key (--verbose)', async () => {
    const { dir: root, cleanup } = tmpDir();
    const chunks: string[] = [];
    const capture = jest.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => {
      chunks.push(String(c));
      return true;
    });
    setLogLevel('verbose');
    try {
      for (let i = 0; i < 2; i++) await writeNoise(path.join(root, i ? 'b' : 'a', `p${i}.png`), 16, 16, 'png');
      const settings = { image_size: 8, resize: 'stretch' as const };
      const first = await prepareCache(root, settings, { progress: false });
      first.close();
      const manifest = first.file.replace(/\.bin$/, '.json');
      fs.writeFileSync(manifest, JSON.stringify({ ...(JSON.parse(fs.readFileSync(manifest, 'utf8')) as object), count: 'two' }));
      chunks.length = 0;
      const again = await prepareCache(root, settings, { progress: false });
      expect(again.built).toBe(true);
      expect(again.size).toBe(2);
      again.close();
      expect(chunks.join('')).toContain(`rebuilding the image cache: ${manifest}: key 'count': expected number, got 'two' (text)\n`);
      const third = await prepareCache(root, settings, { progress: false });
      expect(third.built).toBe(false);
      third.close();
    } finally {
      setLogLevel('info');
      capture.mockRestore();
      cleanup();
    }
  });
});

describe('where the image cache lives', () => {
  it('outside the data folder by default: under $XDG_CACHE_HOME/tim, one folder per data set', async () => {
    const { dir: root, cleanup } = tmpDir();
    const quiet = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      for (let i = 0; i < 2; i++) await writeNoise(path.join(root, i ? 'b' : 'a', `p${i}.png`), 16, 16, 'png');
      const before = fs.readdirSync(root, { recursive: true, encoding: 'utf8' }).sort();
      await indexDataset(root);
      const cache = await prepareCache(root, { image_size: 8, resize: 'stretch' }, { progress: false });
      cache.close();
      expect(fs.readdirSync(root, { recursive: true, encoding: 'utf8' }).sort()).toEqual(before);
      const xdg = process.env.XDG_CACHE_HOME as string;
      expect(cache.file.startsWith(path.join(xdg, 'tim', `${path.basename(fs.realpathSync(root))}-`))).toBe(true);
      expect(defaultCacheDir(root, { XDG_CACHE_HOME: '/x/cache' })).toMatch(/^\/x\/cache\/tim\/tim-test-[^/]+-[0-9a-f]{12}$/);
      expect(defaultCacheDir(root, {}).startsWith(path.join(os.homedir(), '.cache', 'tim'))).toBe(true);
      expect(defaultCacheDir(`${root}/`)).toBe(defaultCacheDir(root));
    } finally {
      quiet.mockRestore();
      cleanup();
    }
  });

  it('a cache_dir that cannot be a folder is one clear error, at once', async () => {
    const { dir: root, cleanup } = tmpDir();
    try {
      for (let i = 0; i < 2; i++) await writeNoise(path.join(root, i ? 'b' : 'a', `p${i}.png`), 16, 16, 'png');
      const file = path.join(root, 'a-file');
      fs.writeFileSync(file, 'x');
      const settings = { image_size: 8, resize: 'stretch' as const };
      await expect(prepareCache(root, settings, { progress: false, cacheDir: file })).rejects.toThrow(
        /^data\.cache_dir '.*a-file': cannot use it as the image cache folder \(.*a-file: is a file; expected a folder\); set data\.cache_dir to a writable folder, or data\.cache: false$/,
      );
      // Node's own recursive mkdir spins for ever under /proc.
      await expect(prepareCache(root, settings, { progress: false, cacheDir: '/proc/tim-cache-test/images' })).rejects.toThrow(
        /^data\.cache_dir '\/proc\/tim-cache-test\/images': cannot use it as the image cache folder \(ENOENT/,
      );
      expect(() => makeDirs('/proc/tim-cache-test/a/b')).toThrow(/ENOENT/);
    } finally {
      cleanup();
    }
  });
});
