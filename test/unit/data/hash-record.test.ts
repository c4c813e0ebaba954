import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { hashesFile, recordedHashes } from '../../../src/data/hash-record';
import { tmpDir } from '../../support/tmp';

const tmp = tmpDir();
afterAll(() => tmp.cleanup());

/** A data set of small files and a hash function that counts the files it reads. */
function fixture(name: string, count: number) {
  const root = path.join(tmp.dir, name, 'data');
  const cacheDir = path.join(tmp.dir, name, 'cache');
  const paths = Array.from({ length: count }, (_, i) => `artist/${i}.png`);
  fs.mkdirSync(path.join(root, 'artist'), { recursive: true });
  for (const [i, p] of paths.entries()) fs.writeFileSync(path.join(root, p), `painting ${i}`);
  const read: string[] = [];
  const hashFile = async (file: string): Promise<string> => {
    read.push(path.relative(root, file));
    return createHash('sha256').update(fs.readFileSync(file)).digest('hex').slice(0, 16);
  };
  return { root, cacheDir, paths, read, hashFile };
}

describe("the record of the images' hashes", () => {
  it('hashes each image once: a second pass reads none, a changed or new one alone is read again', async () => {
    const f = fixture('again', 5);
    const opts = { method: 'm1', hashFile: f.hashFile, cacheDir: f.cacheDir };
    const first = await recordedHashes(f.root, f.paths, opts);
    expect(f.read.sort()).toEqual([...f.paths].sort());
    expect(fs.existsSync(path.join(f.cacheDir, hashesFile('m1')))).toBe(true);

    f.read.length = 0;
    expect(await recordedHashes(f.root, f.paths, opts)).toEqual(first);
    expect(f.read).toEqual([]);

    fs.writeFileSync(path.join(f.root, 'artist/2.png'), 'painted over');
    fs.writeFileSync(path.join(f.root, 'artist/new.png'), 'a new painting');
    const again = await recordedHashes(f.root, [...f.paths, 'artist/new.png'], opts);
    expect(f.read.sort()).toEqual(['artist/2.png', 'artist/new.png']);
    expect(again[2]).not.toBe(first[2]);
    expect(again.slice(0, 2)).toEqual(first.slice(0, 2));
  });

  it('forgets images no longer in the data set and keeps the record in path order', async () => {
    const f = fixture('forget', 4);
    const opts = { method: 'm1', hashFile: f.hashFile, cacheDir: f.cacheDir };
    await recordedHashes(f.root, f.paths, opts);
    await recordedHashes(f.root, f.paths.slice(1), opts);
    const record = JSON.parse(fs.readFileSync(path.join(f.cacheDir, hashesFile('m1')), 'utf8')) as { files: Record<string, unknown> };
    expect(Object.keys(record.files)).toEqual(f.paths.slice(1));
  });

  it('hashes everything again for another method (a record of its own) or where the record is damaged, and still answers where it cannot be written', async () => {
    const f = fixture('distrust', 3);
    const first = await recordedHashes(f.root, f.paths, { method: 'm1', hashFile: f.hashFile, cacheDir: f.cacheDir });
    f.read.length = 0;
    await recordedHashes(f.root, f.paths, { method: 'm2', hashFile: f.hashFile, cacheDir: f.cacheDir });
    expect(f.read).toHaveLength(3);

    fs.writeFileSync(path.join(f.cacheDir, hashesFile('m1')), '{"version": 1, "files": {"artist/0.png": {"size": 9');
    f.read.length = 0;
    expect(await recordedHashes(f.root, f.paths, { method: 'm1', hashFile: f.hashFile, cacheDir: f.cacheDir })).toEqual(first);
    expect(f.read).toHaveLength(3);

    // A cache folder below a file cannot be made: the hashes are still computed and returned.
    const blocked = path.join(tmp.dir, 'distrust', 'a-file');
    fs.writeFileSync(blocked, '');
    f.read.length = 0;
    expect(await recordedHashes(f.root, f.paths, { method: 'm1', hashFile: f.hashFile, cacheDir: path.join(blocked, 'cache') })).toEqual(first);
    expect(f.read).toHaveLength(3);
  });
});
