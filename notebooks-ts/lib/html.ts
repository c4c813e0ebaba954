import * as fs from 'fs';
import * as path from 'path';
import { buildSync } from 'esbuild';
import { TimError } from '../../src/core/errors';
import { writeFileAtomic } from '../../src/io/atomic';

/** Text for HTML content and attribute values. */
export function esc(text: string | number): string {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** An inline script; `</script` inside it would end the element early. */
export function scriptTag(js: string): string {
  return `<script>${js.replace(/<\/(script)/gi, '<\\/$1')}</script>`;
}

/** Data for the page script, as JSON the browser parses without executing. */
export function jsonTag(id: string, value: unknown): string {
  const json = JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  return `<script type="application/json" id="${esc(id)}">${json}</script>`;
}

const bundles = new Map<string, string>();

/**
 * A page script written in TypeScript, bundled into one browser script. Page code is typed
 * and linted like the rest of the project and shares its helpers, yet the HTML it goes into
 * needs no server and no network.
 */
export function bundlePageScript(entry: string): string {
  const cached = bundles.get(entry);
  if (cached !== undefined) return cached;
  const result = buildSync({
    entryPoints: [entry],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    write: false,
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const js = result.outputFiles[0]?.text;
  if (js === undefined) throw new TimError(`bundling ${entry} produced no output`);
  bundles.set(entry, js);
  return js;
}

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
