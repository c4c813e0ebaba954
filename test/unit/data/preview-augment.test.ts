import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import { parseConfig } from '../../../src/config/load';
import { renderPreview } from '../../../src/data';
import { tmpDir } from '../../support/tmp';
import { writeNoise } from './images';

// Decoding and PNG encoding share 2 cores with the rest of the suite.
jest.setTimeout(60_000);

describe('data preview with the new augmentations', () => {
  const work = tmpDir();
  const root = path.join(work.dir, 'images');
  beforeAll(async () => {
    for (const name of ['a', 'b', 'c']) {
      for (let i = 0; i < 3; i++) await writeNoise(path.join(root, name, `${name}${i}.png`), 24, 20 + i, 'png', `${name}${i}`);
    }
  });
  afterAll(() => work.cleanup());

  const render = async (augment: object, file: string): Promise<Buffer> => {
    const config = parseConfig({ name: 'p', data: { root, image_size: 16, val_fraction: 0.34, cache: false }, augment: { hflip: 0, rotate_degrees: 0, color_jitter: [0, 0, 0], ...augment }, model: { arch: 'tiny_cnn' } });
    const out = path.join(work.dir, file);
    await renderPreview(config, out, { count: 6 });
    expect(fs.existsSync(out)).toBe(true);
    return sharp(out).raw().toBuffer();
  };

  it('draws the augmented grid, unlike the plain one, the same each time', async () => {
    const plain = await render({}, 'plain.png');
    const recipe = { random_resized_crop: { scale: [0.2, 0.5] }, policy: 'randaugment(2, 20)', mixup: { cutmix_alpha: 1 } };
    const augmented = await render(recipe, 'augmented.png');
    expect(augmented.length).toBe(plain.length);
    expect(augmented.equals(plain)).toBe(false);
    expect((await render(recipe, 'again.png')).equals(augmented)).toBe(true);
  });
});
