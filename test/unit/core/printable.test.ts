import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import sharp from 'sharp';
import { timInProcess as tim } from '../../support/cli-in-process';
import { configToYaml, parseConfig } from '../../../src/config/load';
import { printable, printableJson, printableLines } from '../../../src/core/printable';
import { createModel, encodeSafetensors, saveTimModel } from '../../../src/models';
import { tmpDir } from '../../support/tmp';

jest.setTimeout(60_000);

/** What a terminal acts on: C0 (here with or without line break and tab), DEL, C1, separators, direction controls. */
const BEYOND_C0 = '\\u007f-\\u009f\\u2028\\u2029\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069';
const ACTS = new RegExp(`[\\u0000-\\u001f${BEYOND_C0}]`);
const ACTS_IN_LINES = new RegExp(`[\\u0000-\\u0008\\u000b-\\u001f${BEYOND_C0}]`);

/** The inverse of printable, from its documented escapes. */
function unescape(s: string): string {
  return s.replace(/\\\\|\\x([0-9a-f]{2})|\\u([0-9a-f]{4})/g, (m, x?: string, u?: string) => (m === '\\\\' ? '\\' : String.fromCharCode(parseInt((x ?? u)!, 16))));
}

// Strings of any UTF-16 code units, with escape sequences, separators and backslashes made frequent.
const text = fc.string({ unit: fc.oneof(fc.constantFrom('\u001b', '[', ']', '\u0007', '\u009b', '\u202e', '\u2028', '\\', 'x', '1', '\n', '\r', '\t'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })), maxLength: 30 });

describe('printable: user text on a terminal', () => {
  it('holds no character a terminal acts on, and reads back to the exact text (no two texts print the same)', () => {
    fc.assert(
      fc.property(text, (s) => {
        const shown = printable(s);
        expect(shown).not.toMatch(ACTS);
        expect(unescape(shown)).toBe(s);
      }),
      { numRuns: 400 },
    );
    expect(printable('Monet\u001b]0;pwned\u0007')).toBe('Monet\\x1b]0;pwned\\x07');
  });

  it('printableLines keeps line breaks, tabs and backslashes of composed text; printableJson stays the same JSON', () => {
    fc.assert(
      fc.property(text, (s) => {
        const shown = printableLines(s);
        expect(shown).not.toMatch(ACTS_IN_LINES);
        expect(shown.split('\n')).toHaveLength(s.split('\n').length);
        const json = printableJson(JSON.stringify({ name: s, list: [s] }));
        expect(json).not.toMatch(ACTS);
        expect(JSON.parse(json)).toEqual({ name: s, list: [s] });
      }),
      { numRuns: 400 },
    );
  });
});


// A class that sets the window title, one that clears the screen, one that reverses the text after it.
const HOSTILE = ['Monet\u001b]0;pwned\u0007', '\u001b[2JClear', 'Renoir\u202eevil'];

describe('commands print names from user data escaped', () => {
  const t = tmpDir();
  afterAll(() => t.cleanup());

  it('data inspect: class folders and broken file names', async () => {
    const root = path.join(t.dir, 'data');
    for (const [k, cls] of HOSTILE.entries()) {
      for (let i = 0; i < 2; i++) {
        fs.mkdirSync(path.join(root, cls), { recursive: true });
        await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 40 * k, g: 10 * i, b: 100 } } }).png().toFile(path.join(root, cls, `${i}.png`));
      }
    }
    fs.writeFileSync(path.join(root, HOSTILE[0]!, 'bad\u001b[31m.png'), '');
    const textRun = await tim(['data', 'inspect', root]);
    expect(textRun.code).toBe(0);
    expect(textRun.out + textRun.err).not.toMatch(ACTS_IN_LINES);
    expect(textRun.out).toContain('Monet\\x1b]0;pwned\\x07');
    expect(textRun.out).toContain('\\x1b[2JClear');
    expect(textRun.out).toContain('Renoir\\u202eevil');
    expect(textRun.out).toContain('bad\\x1b[31m.png');
    const jsonRun = await tim(['data', 'inspect', root, '--json']);
    expect(jsonRun.out).not.toMatch(ACTS_IN_LINES);
    const report = JSON.parse(jsonRun.out) as { classes: Array<{ name: string }> };
    expect(report.classes.map((c) => c.name).sort()).toEqual([...HOSTILE].sort());
  });

  it('predict: class names from labels.json and image paths', async () => {
    await tf.setBackend('cpu');
    const runDir = path.join(t.dir, 'run');
    const images = path.join(t.dir, 'img\u001b[8m');
    const tm = createModel('tiny_cnn', { numClasses: HOSTILE.length, inputSize: 32, seed: 3 });
    fs.mkdirSync(images, { recursive: true });
    fs.mkdirSync(runDir, { recursive: true });
    const config = parseConfig({ name: 'tiny', data: { root: images, image_size: 32, resize: 'letterbox' }, model: { arch: 'tiny_cnn' }, runtime: { backend: 'cpu' } });
    fs.writeFileSync(path.join(runDir, 'config.yaml'), configToYaml(config));
    fs.writeFileSync(path.join(runDir, 'labels.json'), JSON.stringify(HOSTILE));
    await saveTimModel(tm, path.join(runDir, 'best'));
    tm.model.dispose();
    const image = path.join(images, 'a.png');
    await sharp({ create: { width: 16, height: 16, channels: 3, background: { r: 200, g: 10, b: 10 } } }).png().toFile(image);
    const r = await tim(['predict', '--run', runDir, image]);
    expect(r.code).toBe(0);
    expect(r.out + r.err).not.toMatch(ACTS_IN_LINES);
    expect(r.out).toContain('img\\x1b[8m');
    for (const name of HOSTILE) expect(r.out).toContain(printable(name));
  });

  it('weights info: tensor names from the file, and the error line', async () => {
    const file = path.join(t.dir, 'w\u001b[2J.safetensors');
    fs.writeFileSync(file, encodeSafetensors([['conv\u001b]0;x\u0007.weight', { shape: [2], data: new Float32Array([1, 2]) }]]));
    const r = await tim(['weights', 'info', file]);
    expect(r.code).toBe(0);
    expect(r.out).not.toMatch(ACTS_IN_LINES);
    expect(r.out).toContain('conv\\x1b]0;x\\x07.weight');
    const missing = await tim(['weights', 'info', path.join(t.dir, 'gone\u001b[2J.pth')]);
    expect(missing.code).not.toBe(0);
    expect(missing.err).not.toMatch(ACTS_IN_LINES);
    expect(missing.err).toContain('gone\\x1b[2J.pth');
  });
});
