import { closeNames, resolveClass } from '../../../src/explain/class-names';
import { colormap } from '../../../src/explain/colormap';
import { areaResize, bilinearResize, cropToContent, heatmapRows } from '../../../src/explain/heatmap';
import { rankMasks } from '../../../src/explain/faithfulness';
import { percent, topK } from '../../../src/inference/topk';

const ARTISTS = ['Claude_Monet', 'Pierre-Auguste_Renoir', 'Vincent_van_Gogh', 'Paul_Gauguin', 'Rembrandt', 'Edgar_Degas'];

describe('colour maps', () => {
  const luminance = ([r, g, b]: [number, number, number]): number => 0.2126 * r + 0.7152 * g + 0.0722 * b;
  it.each(['viridis', 'inferno'] as const)('%s brightens monotonically from 0 to 1 and clamps outside', (name) => {
    const lum = Array.from({ length: 101 }, (_, i) => luminance(colormap(i / 100, name)));
    for (let i = 1; i < lum.length; i++) expect(lum[i]).toBeGreaterThanOrEqual((lum[i - 1] ?? 0) - 0.5);
    expect((lum[100] ?? 0) - (lum[0] ?? 0)).toBeGreaterThan(150);
    expect(colormap(-3, name)).toEqual(colormap(0, name));
    expect(colormap(7, name)).toEqual(colormap(1, name));
    expect(colormap(NaN, name)).toEqual(colormap(0, name));
  });
});

describe('heat map geometry', () => {
  it('cropToContent keeps only the letterboxed picture and rescales it to 0–1', () => {
    const size = 6;
    const square = new Float32Array(size * size).fill(5); // padding carries a large value
    const box = { x: 0, y: 2, width: 6, height: 2 };
    for (let c = 0; c < 6; c++) {
      square[2 * size + c] = c;
      square[3 * size + c] = c + 1;
    }
    const m = cropToContent(square, size, box);
    expect([m.width, m.height]).toEqual([6, 2]);
    const expected = [0, 1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 6].map((v) => v / 6);
    expect(Array.from(m.values).map((v, i) => Math.abs(v - (expected[i] ?? NaN)) < 1e-6)).toEqual(expected.map(() => true));
  });

  it('areaResize averages whole cells; bilinearResize keeps constants and corners', () => {
    const m = { width: 4, height: 2, values: Float32Array.from([1, 3, 5, 7, 1, 3, 5, 7]) };
    expect(Array.from(areaResize(m, 2, 1).values)).toEqual([2, 6]);
    const flat = bilinearResize({ width: 3, height: 3, values: new Float32Array(9).fill(0.25) }, 17, 11);
    expect(Array.from(flat.values).every((v) => Math.abs(v - 0.25) < 1e-6)).toBe(true);
    const up = bilinearResize(m, 8, 4);
    expect(up.values[0]).toBeCloseTo(1);
    expect(up.values[7]).toBeCloseTo(7);
  });

  it('heatmapRows keeps the aspect ratio, caps the longer side and stays in 0–1', () => {
    const values = Float32Array.from({ length: 100 * 50 }, (_, i) => i % 100);
    const rows = heatmapRows({ width: 100, height: 50, values }, 32);
    expect(rows).toHaveLength(16);
    expect(rows.every((r) => r.length === 32)).toBe(true);
    const flat = rows.flat();
    expect(Math.min(...flat)).toBe(0);
    expect(Math.max(...flat)).toBe(1);
    expect(rows[0]?.[31]).toBeGreaterThan(rows[0]?.[0] ?? 1);
  });
});

describe('class names', () => {
  it('accepts the exact name and forgiving spellings of it', () => {
    expect(resolveClass('Vincent_van_Gogh', ARTISTS)).toBe(2);
    expect(resolveClass('vincent van gogh', ARTISTS)).toBe(2);
    expect(resolveClass('PIERRE AUGUSTE RENOIR', ARTISTS)).toBe(1);
  });

  it('an unknown name is an error listing close names', () => {
    expect(() => resolveClass('Monet', ARTISTS)).toThrow(/unknown class 'Monet'.*closest: 'Claude_Monet'/);
    expect(() => resolveClass('Rembrant', ARTISTS)).toThrow(/closest: 'Rembrandt'/);
    expect(closeNames('gogh', ARTISTS)[0]).toBe('Vincent_van_Gogh');
    expect(closeNames('zzz', ARTISTS)).toHaveLength(3);
  });
});

describe('ranking', () => {
  it('percent keeps one decimal and never shows a non-zero probability as 0.0%', () => {
    expect(percent(0.8734)).toBe('87.3%');
    expect(percent(1e-9)).toBe('<0.1%');
    expect(percent(0)).toBe('0.0%');
  });

  it('topK orders by probability and keeps labels', () => {
    expect(topK([0.1, 0.6, 0.3], ['a', 'b', 'c'], 2)).toEqual([
      { label: 'b', confidence: 0.6 },
      { label: 'c', confidence: 0.3 },
    ]);
  });

  it('rankMasks removes the requested share of picture pixels, highest and lowest, never padding', () => {
    const size = 10;
    const box = { x: 0, y: 0, width: 10, height: 5 };
    const map = Float32Array.from({ length: 100 }, (_, i) => (i < 50 ? i : 1000)); // padding would rank first
    let s = 1;
    const rng = (): number => ((s = (s * 16807) % 2147483647) / 2147483647);
    const { most, least } = rankMasks(map, box, size, 0.2, rng);
    const on = (m: Float32Array): number[] => Array.from(m.keys()).filter((i) => m[i] === 1);
    expect(on(most)).toEqual([40, 41, 42, 43, 44, 45, 46, 47, 48, 49]);
    expect(on(least)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
