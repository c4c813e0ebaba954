/**
 * Regenerates the committed golden files (test/fixtures/golden/) with Debian's Python packages.
 *
 *   npm run goldens              every entry of test/support/goldens/registry.ts
 *   npm run goldens -- NAME ...  only those
 *
 * TIM_PYTHON overrides /usr/bin/python3.
 */
import * as path from 'path';
import { generateGolden } from '../test/support/goldens/generate';
import { GOLDEN_ROOT } from '../test/support/goldens/paths';
import { GOLDENS, goldenEntry } from '../test/support/goldens/registry';

const names = process.argv.slice(2);
const entries = names.length > 0 ? names.map(goldenEntry) : GOLDENS;
for (const entry of entries) {
  const manifest = generateGolden(entry, path.join(GOLDEN_ROOT, entry.name));
  console.log(`${path.relative(process.cwd(), path.join(GOLDEN_ROOT, entry.name))}: ${Object.keys(manifest.files).length} files`);
}
