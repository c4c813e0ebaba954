import * as fs from 'fs';
import * as path from 'path';
import { fileMismatch } from '../support/goldens/compare';
import { generateGolden } from '../support/goldens/generate';
import { GOLDEN_ROOT, MANIFEST } from '../support/goldens/paths';
import { GOLDENS } from '../support/goldens/registry';
import type { GoldenManifest } from '../support/goldens/types';
import { tmpDir } from '../support/tmp';

// Each generator starts Debian's Python and imports torch or scikit-learn.
jest.setTimeout(300_000);

let tmp: { dir: string; cleanup: () => void };
beforeAll(() => (tmp = tmpDir('tim-refs-')));
afterAll(() => tmp.cleanup());

describe.each(GOLDENS.map((g) => [g.name, g] as const))('golden %s', (name, entry) => {
  it(`is what ${entry.script} makes from today's inputs with the Debian packages`, () => {
    const committedDir = path.join(GOLDEN_ROOT, name);
    const fresh = generateGolden(entry, path.join(tmp.dir, name));
    const committed = JSON.parse(fs.readFileSync(path.join(committedDir, MANIFEST), 'utf8')) as GoldenManifest;
    const hint = `run 'npm run goldens -- ${name}' and commit test/fixtures/golden/${name}`;
    expect({ inputs: committed.inputs_sha256, hint }).toEqual({ inputs: fresh.inputs_sha256, hint });
    expect(Object.keys(committed.files)).toEqual(Object.keys(fresh.files));
    const differences: string[] = [];
    for (const file of Object.keys(fresh.files)) {
      const got = path.join(tmp.dir, name, file);
      const want = path.join(committedDir, file);
      const why = fileMismatch(entry.compare?.[file] ?? { kind: 'exact' }, { data: fs.readFileSync(got), path: got }, { data: fs.readFileSync(want), path: want });
      if (why) differences.push(`${file}: ${why}`);
    }
    expect(differences).toEqual([]);
  });
});
