import seedrandom from 'seedrandom';
import sharp from 'sharp';

/**
 * Writes a small PNG of one brightness with a texture of its own (seeded by `seed`). Flat
 * colours would all be one another's near-duplicates, which the split keeps on one side.
 */
export async function writeTexturedPng(file: string, brightness: number, seed: string, size = 16): Promise<void> {
  const rng = seedrandom(seed);
  const data = Buffer.from(Array.from({ length: size * size * 3 }, () => Math.min(255, Math.max(0, brightness + Math.floor(rng() * 50) - 25))));
  await sharp(data, { raw: { width: size, height: size, channels: 3 } }).png().toFile(file);
}
