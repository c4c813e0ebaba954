import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { TimError } from '../../../src/core/errors';
import { setLogLevel } from '../../../src/core/log';
import { escapeMarkup } from '../../../src/core/markup';
import { lrFind } from '../../../src/lr-find/lr-find';
import type { LrFindResult } from '../../../src/lr-find/result-file';
import { buildTrainingReport } from '../../../notebooks-ts/training-results';
import { timInProcess } from '../../support/cli-in-process';
import { tinyLrFindConfig } from '../../support/lr-find-config';
import { tmpDir } from '../../support/tmp';
import { fakeConfig, writeFakeRun } from '../../support/fake-runs';

/** The LR finder in the training report: `tim report --lr-find DIR`, beside --runs or alone. */

jest.setTimeout(120_000);

let tmp: ReturnType<typeof tmpDir>;
/** A real `tim lr-find` folder of a tiny CNN. */
let found: string;

beforeAll(async () => {
  setLogLevel('quiet');
  tmp = tmpDir();
  const config = await tinyLrFindConfig(tmp.dir);
  found = path.join(tmp.dir, 'lr-find', 'tiny_lr');
  await lrFind(config, { out: found, steps: 30, startLr: 1e-5, endLr: 1e3 });
});
afterAll(() => {
  tmp.cleanup();
  setLogLevel('info');
});

const resultOf = (dir: string): LrFindResult => JSON.parse(fs.readFileSync(path.join(dir, 'lr-find.json'), 'utf8')) as LrFindResult;

/** A copy of the lr-find folder at `dir`, its lr-find.json changed by `edit`. */
function copyWith(dir: string, edit: (r: LrFindResult) => unknown = (r) => r): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(path.join(found, 'lr-find.png'), path.join(dir, 'lr-find.png'));
  fs.writeFileSync(path.join(dir, 'lr-find.json'), JSON.stringify(edit(resultOf(found))));
  return dir;
}

/** The cells of the rates table's row `label`, as they read on the page. */
function rateRow(html: string, label: string): string[] | undefined {
  const table = /<table class="lr-find">.*?<\/table>/s.exec(html)?.[0] ?? '';
  const row = [...table.matchAll(/<tr><td>(.*?)<\/td>(.*?)<\/tr>/g)].find((m) => m[1] === label);
  return row ? [...(row[2] ?? '').matchAll(/<td class="num">(.*?)<\/td>/g)].map((m) => m[1] ?? '') : undefined;
}

const e2 = (v: number): string => v.toExponential(2);

describe('the LR finder in the training report', () => {
  it("shows lr-find's chart, both suggestions and every group's rate from lr-find.json beside the runs", async () => {
    const run = writeFakeRun(path.join(tmp.dir, 'runs', 'tiny_lr'), fakeConfig({ data: { root: path.join(tmp.dir, 'nowhere') } }), { epochs: 2 });
    const tensors = tf.memory().numTensors;
    const out = await buildTrainingReport({ runs: [run], lrFinds: [found], out: path.join(tmp.dir, 'reports', 'with.html') });
    expect(tf.memory().numTensors).toBe(tensors);
    const html = fs.readFileSync(out, 'utf8');
    const r = resultOf(found);
    expect(r.suggestions).not.toBeNull();

    // The chart is the PNG lr-find drew, byte for byte, as a data URI.
    const src = /<figure class="lr-find"><img src="data:image\/png;base64,([A-Za-z0-9+/=]+)"/.exec(html)?.[1];
    const png = Buffer.from(src ?? '', 'base64');
    expect(png.equals(fs.readFileSync(path.join(found, 'lr-find.png')))).toBe(true);
    expect((await sharp(png).metadata()).format).toBe('png');

    // The config's rates and each suggestion at every group, with its smoothed loss, as written.
    const groups = (g: LrFindResult['lr_groups']): string[] => [e2(g.early), e2(g.middle), e2(g.head)];
    expect(rateRow(html, 'config (the ratios the sweep keeps)')).toEqual([...groups(r.lr_groups), '–']);
    for (const name of ['steepest', 'valley'] as const) {
      const s = r.suggestions?.[name];
      expect(rateRow(html, name)).toEqual(s ? [...groups(s.lr_groups), s.loss.toFixed(3)] : undefined);
    }
    const valley = r.suggestions?.valley.lr_groups;
    expect(html).toContain(`<code>--set train.lr_groups.early=${e2(valley?.early ?? NaN)} --set train.lr_groups.middle=${e2(valley?.middle ?? NaN)} --set train.lr_groups.head=${e2(valley?.head ?? NaN)}</code>`);
    expect(html).toContain(`${r.steps_run} of ${r.steps_planned} steps`);
    // In the table of contents, between the comparison and the run.
    expect(html).toMatch(/<a href="#comparison">Comparison<\/a><a href="#lr-find-1">LR finder<\/a>.*<a href="#run-1">tiny_lr<\/a>/);
  });

  it('says so when the sweep stopped too early for a suggestion', async () => {
    const dir = copyWith(path.join(tmp.dir, 'early'), (r) => ({ ...r, suggestions: null }));
    const html = fs.readFileSync(await buildTrainingReport({ runs: [], lrFinds: [dir], out: path.join(tmp.dir, 'early.html') }), 'utf8');
    expect(html).toMatch(/Too few steps before the divergence for a suggestion/);
    expect(rateRow(html, 'valley')).toBeUndefined();
    expect(rateRow(html, 'config (the ratios the sweep keeps)')).toHaveLength(4);
    // Alone: no comparison of runs, and its own title.
    expect(html).not.toContain('id="comparison"');
    expect(html).toContain('<title>LR finder</title>');
  });

  it('renders a hostile config name and folder as text', async () => {
    const hostile = '<img src=x onerror=alert(1)>';
    const dir = copyWith(path.join(tmp.dir, `${hostile} & "q"`), (r) => ({ ...r, config: `<script>alert('c')</script>`, arch: '</table><b>x</b>' }));
    const html = fs.readFileSync(await buildTrainingReport({ runs: [], lrFinds: [dir], out: path.join(tmp.dir, 'hostile.html') }), 'utf8');
    for (const text of [hostile, `<script>alert('c')</script>`, '</table><b>x</b>']) {
      expect(html).not.toContain(text);
      expect(html).toContain(escapeMarkup(text));
    }
    expect(html).toContain(`<code>${escapeMarkup(dir)}</code>`);
  });

  it('refuses a missing or damaged lr-find folder with one line naming the file, and writes no page', async () => {
    const page = path.join(tmp.dir, 'never.html');
    const cases: [string, RegExp][] = [
      [path.join(tmp.dir, 'no-such'), /lr-find folder .*no-such does not exist/],
      [copyWith(path.join(tmp.dir, 'no-json')), /no-json\/lr-find\.json: missing; run tim lr-find again/],
      [copyWith(path.join(tmp.dir, 'bad-json')), /bad-json\/lr-find\.json: not valid JSON/],
      [copyWith(path.join(tmp.dir, 'bad-rate'), (r) => ({ ...r, suggestions: { ...r.suggestions, valley: { loss: 1, lr_groups: { ...r.lr_groups, head: 'fast' } } } })), /bad-rate\/lr-find\.json.*suggestions\.valley\.lr_groups\.head/],
      [copyWith(path.join(tmp.dir, 'no-png')), /no-png\/lr-find\.png: missing/],
      [copyWith(path.join(tmp.dir, 'not-png')), /not-png\/lr-find\.png: not a PNG image/],
    ];
    fs.rmSync(path.join(tmp.dir, 'no-json', 'lr-find.json'));
    fs.writeFileSync(path.join(tmp.dir, 'bad-json', 'lr-find.json'), '{"config": "tiny_lr", ');
    fs.rmSync(path.join(tmp.dir, 'no-png', 'lr-find.png'));
    fs.writeFileSync(path.join(tmp.dir, 'not-png', 'lr-find.png'), '<svg onload=alert(1)>');
    for (const [dir, message] of cases) {
      const attempt = buildTrainingReport({ runs: [], lrFinds: [dir], out: page });
      await expect(attempt).rejects.toThrow(TimError);
      await expect(buildTrainingReport({ runs: [], lrFinds: [dir], out: page })).rejects.toThrow(message);
      const error = await buildTrainingReport({ runs: [], lrFinds: [dir], out: page }).catch((e: unknown) => e as Error);
      expect((error as Error).message).not.toMatch(/\n/);
    }
    expect(fs.existsSync(page)).toBe(false);
  });

  it('tim report --lr-find DIR writes the page and prints its path; a damaged folder is a one-line error', async () => {
    const page = path.join(tmp.dir, 'cli', 'lr.html');
    const ok = await timInProcess(['report', '--lr-find', found, '--out', page]);
    expect([ok.code, ok.err, ok.out.trim()]).toEqual([0, '', page]);
    expect(fs.readFileSync(page, 'utf8')).toContain('id="lr-find-1"');
    const bad = await timInProcess(['report', '--lr-find', path.join(tmp.dir, 'no-such'), '--out', path.join(tmp.dir, 'cli', 'bad.html')]);
    expect([bad.code, bad.err.trim().split('\n').length]).toEqual([1, 1]);
    expect(bad.err).toMatch(/no-such does not exist/);
    const sweep = await timInProcess(['report', '--sweep', tmp.dir, '--lr-find', found]);
    expect(sweep.code).toBe(1);
    expect(sweep.err).toMatch(/--lr-find goes with --runs DIR\.\.\. or alone, not with --sweep/);
  });
});
