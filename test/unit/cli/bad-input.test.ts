import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { evaluateRun } from '../../../src/evaluate/evaluate-run';
import { loadRunForInference } from '../../../src/inference/inference-run';
import { RunFolder } from '../../../src/io/run-folder';
import { tmpDir } from '../../support/tmp';
import { makeDataset, makeRun } from '../evaluate/run-fixture';

/** Bad input through the real command line: one line naming the file, exit 1, nothing left behind. */
jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '../../..');
const tim = (cwd: string, ...args: string[]) =>
  spawnSync(process.execPath, [path.join(ROOT, 'bin/tim.js'), ...args], { cwd, encoding: 'utf8', env: { ...process.env, CI: '1' } });
const errorLines = (stderr: string): string[] => stderr.split('\n').filter((l) => l.startsWith('tim: '));

describe('bad input on the command line', () => {
  const t = tmpDir();
  const run = path.join(t.dir, 'run');
  let image: string;
  beforeAll(async () => {
    const split = await makeDataset(path.join(t.dir, 'data'), 1);
    await makeRun(run, split, { resize: 'letterbox' });
    image = path.join(split.root, split.val[0]?.path ?? '');
  });
  afterAll(() => t.cleanup());

  it('explain --out an existing folder: one line naming it, no temporary file left', () => {
    const out = path.join(t.dir, 'existing');
    fs.mkdirSync(out);
    const r = tim(t.dir, 'explain', '--run', run, '--image', image, '--out', out, '--backend', 'cpu');
    expect(r.status).toBe(1);
    expect(r.stderr).not.toMatch(/EISDIR/);
    expect(errorLines(r.stderr)).toEqual([`tim: ${out}: is a folder; expected a file name (e.g. ${path.join(out, 'out.png')})`]);
    expect(fs.readdirSync(t.dir).filter((n) => n.startsWith('.'))).toEqual([]);
    expect(fs.readdirSync(out)).toEqual([]);
  });

  it('report --out an existing folder: one line naming it', () => {
    const out = path.join(t.dir, 'report-dir.html');
    fs.mkdirSync(out);
    const r = tim(t.dir, 'report', '--runs', run, '--out', out);
    expect(r.status).toBe(1);
    expect(errorLines(r.stderr)).toEqual([`tim: ${out}: is a folder; expected a file name (e.g. ${path.join(out, 'out.html')})`]);
    expect(fs.readdirSync(t.dir).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('--shard -1/2 reaches the shard check instead of being read as flags', () => {
    const r = tim(ROOT, 'sweep', '--config', 'configs/sweeps/tiny.yaml', '--dry-run', '--shard', '-1/2', '--out', path.join(t.dir, 'sweep'));
    expect(r.status).toBe(1);
    expect(errorLines(r.stderr)).toEqual(["tim: --shard '-1/2': expected i/n with a 0-based index, e.g. 0/4"]);
  });

  it('predict prints an unreadable image once', () => {
    const bad = path.join(t.dir, 'broken.jpg');
    fs.writeFileSync(bad, Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 1, 2, 3]));
    const r = tim(t.dir, 'predict', '--run', run, bad, '--backend', 'cpu');
    expect(r.status).toBe(1);
    expect(errorLines(r.stderr)).toHaveLength(1);
    expect(errorLines(r.stderr)[0]).toContain(bad);
  });

  it('a corrupt run config.yaml is named by evaluate, predict and explain', () => {
    const broken = path.join(t.dir, 'broken-run');
    fs.cpSync(run, broken, { recursive: true });
    fs.writeFileSync(path.join(broken, 'config.yaml'), 'name: [unclosed\n');
    const config = path.join(broken, 'config.yaml');
    for (const args of [['evaluate', '--run', broken], ['predict', '--run', broken, image], ['explain', '--run', broken, '--image', image, '--json']]) {
      const r = tim(t.dir, ...args);
      expect({ args, status: r.status }).toEqual({ args, status: 1 });
      const lines = errorLines(r.stderr);
      expect({ args, lines: lines.length }).toEqual({ args, lines: 1 });
      expect(lines[0]).toMatch(new RegExp(`^tim: ${config.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: not valid YAML \\(.* at line \\d+, column \\d+\\)$`));
    }
  });
});

describe('labels.json and split.json', () => {
  it('a reordered labels.json is refused by evaluate, predict, explain and the demo', async () => {
    const t = tmpDir();
    try {
      const split = await makeDataset(path.join(t.dir, 'data'), 1);
      const run = path.join(t.dir, 'run');
      await makeRun(run, split, { resize: 'letterbox' });
      fs.writeFileSync(path.join(run, 'labels.json'), JSON.stringify([...split.classes].reverse()));
      const message = new RegExp(`labels\\.json: the class names .* differ from the order training recorded in split\\.json`);
      await expect(evaluateRun(run, { bootstrap: 0 })).rejects.toThrow(message);
      await expect(loadRunForInference(run)).rejects.toThrow(message);
      expect(() => new RunFolder(run).labels()).toThrow(message);
    } finally {
      t.cleanup();
    }
  });
});
