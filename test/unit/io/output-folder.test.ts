import * as fs from 'fs';
import * as path from 'path';
import fc from 'fast-check';
import { checkOutputFile, checkOutputFolder, filesUnder, OUTPUT_MARKER, openOutputFolder, replaceOutputFolder, replaceWithEmptyOutputFolder, WEB_EXPORT_RULE } from '../../../src/io/output-folder';
import { folderSnapshot } from '../../support/folder-snapshot';
import { tmpDir } from '../../support/tmp';

/** A run as Tim writes it at creation (marker, config, labels, split) plus its checkpoints. */
function writeRun(dir: string, withMarker = true): void {
  fs.mkdirSync(path.join(dir, 'best'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'last'), { recursive: true });
  if (withMarker) fs.writeFileSync(path.join(dir, '.tim-run.json'), '{}\n');
  fs.writeFileSync(path.join(dir, 'config.yaml'), 'name: r\n');
  fs.writeFileSync(path.join(dir, 'labels.json'), '["a","b"]\n');
  fs.writeFileSync(path.join(dir, 'split.json'), JSON.stringify({ root: 'data', seed: 0, val_fraction: 0.2, classes: ['a'], train: [], val: [] }));
  fs.writeFileSync(path.join(dir, 'metrics.json'), '{}\n');
  for (const c of ['best', 'last']) {
    fs.writeFileSync(path.join(dir, c, 'model.json'), '{}');
    fs.writeFileSync(path.join(dir, c, 'weights.bin'), 'w');
  }
}

const fill = (tmp: string): void => {
  fs.writeFileSync(path.join(tmp, 'index.html'), '<html></html>');
  fs.writeFileSync(path.join(tmp, 'model.json'), '{}');
};

describe('output folders: Tim replaces only what it wrote', () => {
  const work = tmpDir();
  afterAll(() => work.cleanup());
  let n = 0;
  const fresh = (): string => path.join(work.dir, `case-${n++}`);

  it.each([
    ['a run (marked)', (d: string) => writeRun(d), /is a Tim run \(best, config\.yaml, labels\.json, last/],
    ['a run written before the marker', (d: string) => writeRun(d, false), /is a Tim run/],
    ['a checkpoints root', (d: string) => { writeRun(path.join(d, 'r1')); writeRun(path.join(d, 'r2'), false); }, /holds Tim runs \(r1, r2\): it is a checkpoints folder or a parent of one/],
    ['the parent of a checkpoints root', (d: string) => { writeRun(path.join(d, 'checkpoints', 'r1')); fs.writeFileSync(path.join(d, 'notes.txt'), 'x'); }, /holds Tim runs \(checkpoints\/r1\)/],
    ['a user folder', (d: string) => { fs.mkdirSync(d); fs.writeFileSync(path.join(d, 'about.html'), 'mine'); }, /holds files Tim did not write \(about\.html\)/],
    ['a file', (d: string) => fs.writeFileSync(d, 'x'), /is a file; expected a folder for the web export/],
    ['an export of another kind', (d: string) => { fs.mkdirSync(d); fs.writeFileSync(path.join(d, OUTPUT_MARKER), JSON.stringify({ kind: 'sweep', files: [] })); }, /is a Tim sweep, not a web export/],
  ])('refuses %s before any work, naming it, and leaves it as it was', async (_what, make, message) => {
    const dir = fresh();
    make(dir);
    const before = fs.statSync(dir).isDirectory() ? folderSnapshot(dir) : fs.readFileSync(dir, 'utf8');
    let filled = false;
    await expect(replaceOutputFolder(dir, 'web export', () => { filled = true; })).rejects.toThrow(message);
    expect(filled).toBe(false);
    expect(fs.statSync(dir).isDirectory() ? folderSnapshot(dir) : fs.readFileSync(dir, 'utf8')).toEqual(before);
    expect(() => checkOutputFolder(dir, 'web export')).toThrow(new RegExp(`^${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
  });

  it("refuses a run's best/ checkpoint, and a symbolic link", () => {
    const run = fresh();
    writeRun(run);
    expect(() => checkOutputFolder(path.join(run, 'best'), 'model folder')).toThrow(/is the best\/ checkpoint of the run/);
    const link = fresh();
    fs.symlinkSync(run, link);
    expect(() => checkOutputFolder(link, 'web export')).toThrow(/is a symbolic link/);
  });

  it('replaces its own earlier output of the kind, and refuses it once a user has added a file', async () => {
    const dir = fresh();
    await replaceOutputFolder(dir, 'web export', fill);
    expect(filesUnder(dir)).toEqual([OUTPUT_MARKER, 'index.html', 'model.json']);
    await replaceOutputFolder(dir, 'web export', (tmp) => fs.writeFileSync(path.join(tmp, 'index.html'), 'v2'));
    expect(filesUnder(dir)).toEqual([OUTPUT_MARKER, 'index.html']);
    fs.writeFileSync(path.join(dir, 'about.html'), 'mine');
    await expect(replaceOutputFolder(dir, 'web export', fill)).rejects.toThrow(/holds files Tim did not write \(about\.html\)/);
    expect(fs.readFileSync(path.join(dir, 'about.html'), 'utf8')).toBe('mine');
  });

  it('recognises a web export written before the marker by its files only', async () => {
    const dir = fresh();
    fs.mkdirSync(dir);
    for (const f of ['index.html', 'app.js', 'model.json', 'metadata.json', 'group1-shard1of1.bin']) fs.writeFileSync(path.join(dir, f), 'x');
    await replaceOutputFolder(dir, 'web export', fill, WEB_EXPORT_RULE);
    expect(fs.existsSync(path.join(dir, 'app.js'))).toBe(false);
    const mixed = fresh();
    fs.mkdirSync(mixed);
    for (const f of ['index.html', 'metadata.json', 'about.html']) fs.writeFileSync(path.join(mixed, f), 'x');
    expect(() => checkOutputFolder(mixed, 'web export', WEB_EXPORT_RULE)).toThrow(/about\.html/);
  });

  it('a folder written into (add) refuses only when it would overwrite a file Tim did not write', () => {
    const dir = fresh();
    openOutputFolder(dir, 'explanation maps', ['a.png']);
    fs.writeFileSync(path.join(dir, 'a.png'), 'map');
    fs.writeFileSync(path.join(dir, 'mine.png'), 'user');
    openOutputFolder(dir, 'explanation maps', ['a.png', 'b.png']);
    expect(() => openOutputFolder(dir, 'explanation maps', ['mine.png'])).toThrow(/holds files Tim did not write \(mine\.png\)/);
    expect(fs.readFileSync(path.join(dir, 'mine.png'), 'utf8')).toBe('user');
  });

  it('a folder emptied for each use (bench epoch --out) is emptied only when it holds what Tim put there', () => {
    const dir = fresh();
    const rule = { alsoOwns: (f: string) => f.startsWith('run/') };
    replaceWithEmptyOutputFolder(dir, 'epoch benchmark', rule);
    fs.mkdirSync(path.join(dir, 'run'));
    fs.writeFileSync(path.join(dir, 'run', 'history.jsonl'), '{}');
    replaceWithEmptyOutputFolder(dir, 'epoch benchmark', rule);
    expect(filesUnder(dir)).toEqual([OUTPUT_MARKER]);
    fs.writeFileSync(path.join(dir, 'thesis.tex'), 'mine');
    expect(() => replaceWithEmptyOutputFolder(dir, 'epoch benchmark', rule)).toThrow(/holds files Tim did not write \(thesis\.tex\)/);
    expect(fs.readFileSync(path.join(dir, 'thesis.tex'), 'utf8')).toBe('mine');
  });

  it('any set of files Tim did not write is refused and kept (property)', () => {
    const name = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_. -]{0,11}$/).filter((s) => s !== OUTPUT_MARKER && !s.endsWith('.') && !s.endsWith(' '));
    fc.assert(
      fc.property(fc.uniqueArray(name, { minLength: 1, maxLength: 5, selector: (s) => s.toLowerCase() }), fc.boolean(), (names, marked) => {
        const dir = fresh();
        fs.mkdirSync(dir);
        for (const f of names) fs.writeFileSync(path.join(dir, f), f);
        // A marker that lists none of them (the user added them to an earlier export).
        if (marked) fs.writeFileSync(path.join(dir, OUTPUT_MARKER), JSON.stringify({ kind: 'web export', files: ['index.html'] }));
        const before = folderSnapshot(dir);
        expect(() => checkOutputFolder(dir, 'web export', WEB_EXPORT_RULE)).toThrow(/holds files Tim did not write/);
        expect(folderSnapshot(dir)).toEqual(before);
      }),
      { numRuns: 60 },
    );
  });

  it("file outputs: a folder is refused with a hint of the expected kind, a run's own file is refused", () => {
    const run = fresh();
    writeRun(run);
    expect(() => checkOutputFile(run, '.onnx')).toThrow(new RegExp(`is a folder; expected a file name \\(e\\.g\\. .*out\\.onnx\\)`));
    expect(() => checkOutputFile(path.join(run, 'config.yaml'), '.onnx')).toThrow(/is the run's own config\.yaml; expected a new \.onnx file name/);
    expect(() => checkOutputFile(path.join(run, 'model.onnx'), '.onnx')).not.toThrow();
  });
});
