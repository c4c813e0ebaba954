import * as path from 'path';
import { docCommandProblems, docConfigProblems, docEnvProblems, docLinkProblems, docPathProblems } from '../../support/docs/check';
import { CliSpecs } from '../../support/docs/cli-spec';
import { parseMarkdown, readDocs, type DocFile } from '../../support/docs/markdown';

/**
 * What README.md and the guides in docs/ tell a user to type or open still exists: npm scripts,
 * tim commands, subcommands and flags (as the CLI's own --help lists them), configs, repository
 * paths, and the links between the docs with their anchors.
 */

const ROOT = path.resolve(__dirname, '../../..');
const docs = readDocs(ROOT);
const parsed = docs.map(parseMarkdown);

/** A guide that gets every check wrong once, at a known line. */
const BROKEN: DocFile = {
  file: 'docs/broken.md',
  text: [
    '# Broken',
    '',
    '```sh',
    'npm run trian -- --config quickstart.yaml',
    'npm run train -- --confg quickstart.yaml',
    'npx tim weights fetsh resnet50',
    'npm run train -- --config configs/no-such.yaml',
    'npm run evaluate --run checkpoints/x',
    'npm run lr-find -- --config quickstart.yaml --set train.batch_sise=3',
    'npm run sweep -- --config configs/quickstart.yaml',
    '```',
    '',
    'Run `tim bench compare --steps 3 --frobnicate` and see `test/unit/no-such-folder/x.test.ts`,',
    '[the configs](configs.md#no-such-heading), [a guide](no-such-guide.md) and [ok](configs.md#config-keys).',
    'Set `train.weight_decay: 0.05` and `train.wieght_decay: 0.05`, not `--set data.resise=stretch`; `model.json` is a file.',
    '`TIM_WASM_THREADS=2` works, `TIM_WASM_THREDS=2` does not.',
    '',
    '```yaml',
    'name: x',
    'model: { arch: resnet50 }',
    'data: { root: d, image_sise: 224 }',
    '```',
  ].join('\n'),
};

describe('the commands, paths and links of README.md and docs/*.md', () => {
  const specs = new CliSpecs();

  it('finds the README, the guides and the commands in them', async () => {
    expect(docs.map((d) => d.file)).toEqual(expect.arrayContaining(['README.md', 'docs/development.md', 'docs/configs.md']));
    const { commands } = await docCommandProblems(ROOT, specs, parsed);
    const readme = commands.filter((c) => c.file === 'README.md').map((c) => c.text);
    // The quick start's two commands, exactly as the README gives them.
    expect(readme).toEqual(expect.arrayContaining(['npm ci', 'npm run quickstart', 'npm test']));
    expect(commands.length).toBeGreaterThan(60);
  });

  it('names only npm scripts, tim commands and flags that exist, and configs that exist', async () => {
    const { problems } = await docCommandProblems(ROOT, specs, parsed);
    expect(problems).toEqual([]);
  });

  it("prints --help for every tim command the docs name, from the CLI's own definitions", async () => {
    await docCommandProblems(ROOT, specs, parsed);
    const named = specs.paths();
    expect(named).toEqual(expect.arrayContaining(['', 'train', 'evaluate', 'weights', 'weights fetch', 'sweep', 'bench compare', 'export']));
    for (const p of named) {
      const spec = await specs.of(p === '' ? [] : p.split(' '));
      expect(spec.options).toContain('help');
    }
  });

  it('names only repository paths and test files that exist', () => {
    expect(docPathProblems(ROOT, parsed)).toEqual([]);
  });

  it("names only environment variables that Tim's code reads", () => {
    expect(docEnvProblems(ROOT, parsed)).toEqual([]);
  });

  it('names only config keys that exist, and shows only YAML that Tim accepts', () => {
    expect(docConfigProblems(ROOT, parsed)).toEqual([]);
  });

  it('links only to files and headings that exist', () => {
    expect(docLinkProblems(ROOT, docs)).toEqual([]);
  });

  it('reports each wrong command, flag, config, path and link with its file and line', async () => {
    const broken = parseMarkdown(BROKEN);
    const { problems } = await docCommandProblems(ROOT, specs, [broken]);
    expect(problems).toEqual([
      "docs/broken.md:4: npm run trian -- --config quickstart.yaml: npm has no script 'trian' (package.json)",
      'docs/broken.md:5: npm run train -- --confg quickstart.yaml: tim train has no option --confg',
      "docs/broken.md:6: npx tim weights fetsh resnet50: tim weights has no command 'fetsh' (it has fetch, import, info)",
      expect.stringMatching(/^docs\/broken\.md:7: npm run train -- --config configs\/no-such\.yaml: config '.*configs\/no-such\.yaml' not found/),
      'docs/broken.md:8: npm run evaluate --run checkpoints/x: npm run evaluate passes its arguments to tim only after `--`',
      "docs/broken.md:9: npm run lr-find -- --config quickstart.yaml --set train.batch_sise=3: quickstart.yaml: unknown key 'train.batch_sise'; did you mean 'train.batch_size'?",
      expect.stringMatching(/^docs\/broken\.md:10: npm run sweep -- --config configs\/quickstart\.yaml: quickstart\.yaml: unknown key 'seed'/),
      'docs/broken.md:13: tim bench compare --steps 3 --frobnicate: tim bench compare has no option --frobnicate',
    ]);
    expect(docPathProblems(ROOT, [broken])).toEqual([
      'docs/broken.md:7: configs/no-such.yaml does not exist',
      'docs/broken.md:13: test/unit/no-such-folder/x.test.ts does not exist',
    ]);
    expect(docConfigProblems(ROOT, [broken])).toEqual([
      expect.stringMatching(/^docs\/broken\.md:15: config key train\.wieght_decay does not exist \(train has epochs, /),
      expect.stringMatching(/^docs\/broken\.md:15: config key data\.resise does not exist \(data has root, /),
      "docs/broken.md:19: the YAML block: unknown key 'data.image_sise'; did you mean 'data.image_size'?",
    ]);
    expect(docEnvProblems(ROOT, [broken])).toEqual(['docs/broken.md:16: no code reads the environment variable TIM_WASM_THREDS']);
    expect(docLinkProblems(ROOT, [...docs, BROKEN])).toEqual([
      'docs/broken.md:14: link configs.md#no-such-heading: docs/configs.md has no heading #no-such-heading',
      'docs/broken.md:14: link no-such-guide.md: docs/no-such-guide.md does not exist',
    ]);
  });
});
