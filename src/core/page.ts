import { buildSync } from 'esbuild';
import { TimError } from './errors';
import { escapeMarkup } from './markup';

/** Helpers for the self-contained pages Tim writes: the demo's, the web export's and reports'. */

/** An inline script; `</script` inside it would end the element early. */
export function scriptTag(js: string): string {
  return `<script>${js.replace(/<\/(script)/gi, '<\\/$1')}</script>`;
}

/** Data for the page script, as JSON the browser parses without executing. */
export function jsonTag(id: string, value: unknown): string {
  const json = JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  return `<script type="application/json" id="${escapeMarkup(id)}">${json}</script>`;
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
