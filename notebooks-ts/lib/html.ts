import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic } from '../../src/io/atomic';

export { escapeMarkup } from '../../src/core/markup';
export { bundlePageScript, jsonTag, scriptTag } from '../../src/core/page';

let visBundle: string | undefined;

/**
 * tfjs-vis's UMD bundle. It carries its own copy of tfjs-core, so the page needs no separate
 * tfjs bundle; it defines `window.tfvis`.
 */
export function tfjsVisBundle(): string {
  if (visBundle === undefined) {
    const file = require.resolve('@tensorflow/tfjs-vis/dist/tfjs-vis.umd.min.js');
    visBundle = fs.readFileSync(file, 'utf8');
  }
  return visBundle;
}

/** Writes a finished page atomically, creating its folder; returns the absolute path. */
export function writePage(out: string, html: string): string {
  writeFileAtomic(out, html);
  return path.resolve(out);
}
