/**
 * Perceptually uniform colour maps as small tables of evenly spaced stops (sampled from
 * matplotlib's definitions), linearly interpolated. Brightness rises monotonically, so the
 * map reads correctly in greyscale and for colour-blind viewers, unlike the rainbow "jet".
 */
export type ColormapName = 'viridis' | 'inferno';

const STOPS: Record<ColormapName, readonly string[]> = {
  viridis: [
    '#440154', '#48186a', '#472d7b', '#424086', '#3b528b', '#33638d', '#2c728e', '#26828e', '#21918c',
    '#1fa088', '#28ae80', '#3fbc73', '#5ec962', '#84d44b', '#addc30', '#d8e219', '#fde725',
  ],
  inferno: [
    '#000004', '#0b0724', '#210c4a', '#3d0965', '#57106e', '#71196e', '#8a226a', '#a32c61', '#bc3754',
    '#d24644', '#e45a31', '#f1731d', '#f98e09', '#fcac11', '#f9cb35', '#f2ea69', '#fcffa4',
  ],
};

function hexToRgb(hex: string): [number, number, number] {
  const v = parseInt(hex.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

const TABLES = new Map<ColormapName, Array<[number, number, number]>>();

function table(name: ColormapName): Array<[number, number, number]> {
  let t = TABLES.get(name);
  if (!t) {
    t = STOPS[name].map(hexToRgb);
    TABLES.set(name, t);
  }
  return t;
}

/** The colour of a value in [0, 1] (clamped), as 8-bit RGB. */
export function colormap(value: number, name: ColormapName = 'viridis'): [number, number, number] {
  const t = table(name);
  const v = Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0;
  const pos = v * (t.length - 1);
  const i = Math.min(t.length - 2, Math.floor(pos));
  const f = pos - i;
  const a = t[i] as [number, number, number];
  const b = t[i + 1] as [number, number, number];
  return [
    Math.round(a[0] + (b[0] - a[0]) * f),
    Math.round(a[1] + (b[1] - a[1]) * f),
    Math.round(a[2] + (b[2] - a[2]) * f),
  ];
}
