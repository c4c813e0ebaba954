import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import { timInProcess as tim } from '../../support/cli-in-process';
import { tmpDir } from '../../support/tmp';


describe('tim data', () => {
  let dir: string;
  let cleanup: () => void;
  beforeAll(() => ({ dir, cleanup } = tmpDir()));
  afterAll(() => cleanup());

  it('synthesises, inspects, prepares and previews a data set', async () => {
    const root = path.join(dir, 'artists');
    const synth = await tim(['data', 'synth', '--out', root, '--seed', '7', '--scale', '0.02']);
    expect(synth.code).toBe(0);
    expect(JSON.parse(synth.out)).toMatchObject({ classes: 31, images: 124 });

    fs.writeFileSync(path.join(root, 'Raphael', 'empty.jpg'), '');
    const inspect = await tim(['data', 'inspect', root, '--json']);
    expect(inspect.code).toBe(0);
    const report = JSON.parse(inspect.out);
    expect(report.total).toBe(124);
    expect(report.classes).toHaveLength(31);
    expect(report.broken).toEqual([{ path: 'Raphael/empty.jpg', reason: 'zero bytes' }]);
    expect(report.formats.jpeg + report.formats.png).toBe(124);
    expect(report.aspect.portrait + report.aspect.square + report.aspect.landscape).toBe(124);
    const text = await tim(['data', 'inspect', root]);
    expect(text.out).toMatch(/imbalance/);
    expect(text.out).toMatch(/Raphael\/empty\.jpg: zero bytes/);

    const prep = await tim(['data', 'prepare', '--root', root, '--image-size', '24', '--resize', 'stretch']);
    expect(prep.code).toBe(0);
    expect(JSON.parse(prep.out)).toMatchObject({ images: 124, skipped: 1, built: true });
    const again = await tim(['data', 'prepare', '--root', root, '--image-size', '24', '--resize', 'stretch']);
    expect(JSON.parse(again.out)).toMatchObject({ built: false });

    const config = path.join(dir, 'c.yaml');
    fs.writeFileSync(config, `name: c\ndata: { root: ${JSON.stringify(root)}, image_size: 24 }\nmodel: { arch: tiny_cnn }\n`);
    const png = path.join(dir, 'grid.png');
    const preview = await tim(['data', 'preview', '--config', config, '--out', png, '--count', '6']);
    expect(preview.code).toBe(0);
    const meta = await sharp(png).metadata();
    expect(meta.format).toBe('png');
    expect(meta.width).toBeGreaterThan(6 * 24);
  }, 60_000);

  it('fails in one line on a bad folder', async () => {
    const res = await tim(['data', 'inspect', path.join(dir, 'missing')]);
    expect(res.code).toBe(1);
    expect(res.err.trim().split('\n')).toEqual([expect.stringMatching(/^tim: data root .* does not exist$/)]);
  });
});
