import * as fs from 'fs';
import * as path from 'path';
import { applyOverride, CONFIG_DIR, loadConfig, parseConfig } from '../../../src/config/load';
import { TimError } from '../../../src/core/errors';
import { tmpDir } from '../../support/tmp';

const minimal = { name: 'x', data: { root: 'd' }, model: { arch: 'tiny_cnn' } };

describe('config', () => {
  it('loads every shipped config by bare name, with and without .yaml', () => {
    const names = fs.readdirSync(CONFIG_DIR).filter((f) => f.endsWith('.yaml'));
    expect(names).toEqual(expect.arrayContaining(['resnet50_baseline.yaml', 'resnet50.yaml', 'efficientnet_b0.yaml', 'convnext_tiny.yaml', 'quickstart.yaml']));
    expect(names.length).toBeGreaterThanOrEqual(8);
    for (const n of names) {
      const { config } = loadConfig(n);
      expect(config.name).toMatch(/\S/);
      expect(loadConfig(n.replace(/\.yaml$/, '')).config).toEqual(config);
    }
    const cnx = loadConfig('convnext_tiny.yaml').config;
    expect(cnx.train.lr_groups).toEqual({ early: 1e-6, middle: 1e-5, head: 1e-3 });
    expect(cnx.train.early_stopping.patience).toBe(5);
    expect(cnx.data.resize).toBe('letterbox');
    expect(loadConfig('resnet50_baseline').config.model.freeze_backbone).toBe(true);
    expect(loadConfig('efficientnet_b0_batch48_no_padding').config.train.batch_size).toBe(48);
  });

  it('fills defaults', () => {
    const c = parseConfig(minimal);
    expect(c.seed).toBe(42);
    expect(c.data.val_fraction).toBe(0.2);
    expect(c.augment.normalize.std).toEqual([0.229, 0.224, 0.225]);
    expect(c.train.adam_epsilon).toBe(1e-8);
    expect(c.runtime.backend).toBe('auto');
    // The additions to the reference recipe are off unless a config turns them on.
    expect([c.train.weight_decay, c.train.weight_decay_groups, c.train.weight_decay_1d, c.train.ema, c.train.freeze_epochs]).toEqual([0, undefined, false, undefined, 0]);
    for (const n of ['resnet50_baseline', 'resnet50', 'efficientnet_b0', 'convnext_tiny', 'quickstart']) {
      const t = loadConfig(n).config.train;
      expect({ n, wd: t.weight_decay, ema: t.ema, freeze: t.freeze_epochs }).toEqual({ n, wd: 0, ema: undefined, freeze: 0 });
    }
    expect(parseConfig({ ...minimal, train: { ema: {} } }).train.ema).toEqual({ decay: 0.9998, warmup: false });
  });

  it('names an unknown key and suggests the nearest valid one', () => {
    expect(() => parseConfig({ ...minimal, train: { epocs: 3 } })).toThrow(/unknown key 'train\.epocs'; did you mean 'train\.epochs'\?/);
    expect(() => parseConfig({ ...minimal, sead: 1 })).toThrow(/unknown key 'sead'; did you mean 'seed'/);
  });

  it('refuses runtime.threads, which nothing reads, and says where the threads are set', () => {
    expect(() => parseConfig({ ...minimal, runtime: { threads: 4 } })).toThrow(/key 'runtime\.threads': is not read by Tim: .*TIM_WASM_THREADS, got 4$/);
    expect(parseConfig({ ...minimal, runtime: { backend: 'cpu' } }).runtime.backend).toBe('cpu');
  });

  it('names a bad value and a missing key', () => {
    expect(() => parseConfig({ ...minimal, data: { root: 'd', resize: 'pad' } })).toThrow(/key 'data\.resize'/);
    expect(() => parseConfig({ ...minimal, data: { root: 'd', val_fraction: 1.5 } })).toThrow(/data\.val_fraction/);
    expect(() => parseConfig({ name: 'x', data: { root: 'd' } })).toThrow(/missing key 'model'/);
  });

  it('errors are one line', () => {
    try {
      parseConfig({ ...minimal, train: { epochs: 'many' } });
      throw new Error('expected a failure');
    } catch (e) {
      expect(e).toBeInstanceOf(TimError);
      expect((e as Error).message).not.toContain('\n');
    }
  });

  it('applies --set overrides with YAML values', () => {
    const raw: Record<string, unknown> = { train: { epochs: 3 } };
    applyOverride(raw, 'train.epochs=7');
    applyOverride(raw, 'augment.color_jitter=[0.2, 0.2, 0.2]');
    applyOverride(raw, 'data.cache=false');
    expect(raw).toEqual({ train: { epochs: 7 }, augment: { color_jitter: [0.2, 0.2, 0.2] }, data: { cache: false } });
    expect(() => applyOverride(raw, 'novalue')).toThrow(/expected key\.path=value/);
    expect(() => applyOverride(raw, 'train.epochs.x=1')).toThrow(/not a section/);
  });

  it('a missing config suggests a close name; invalid YAML names the file', () => {
    expect(() => loadConfig('convnext_tiyn.yaml')).toThrow(/did you mean 'convnext_tiny\.yaml'/);
    const t = tmpDir();
    try {
      const bad = path.join(t.dir, 'bad.yaml');
      fs.writeFileSync(bad, 'name: [unclosed');
      expect(() => loadConfig(bad)).toThrow(/bad\.yaml: not valid YAML/);
      const list = path.join(t.dir, 'list.yaml');
      fs.writeFileSync(list, '- a\n- b\n');
      expect(() => loadConfig(list)).toThrow(/expected a mapping/);
    } finally {
      t.cleanup();
    }
  });
});

describe('config errors say what was given and what was expected', () => {
  const t = tmpDir();
  afterAll(() => t.cleanup());
  const write = (name: string, text: string): string => {
    const f = path.join(t.dir, name);
    fs.writeFileSync(f, text);
    return f;
  };
  const base = 'name: x\ndata: { root: d }\nmodel: { arch: tiny_cnn }\n';

  it.each([
    ['abc', /key 'data\.image_size': expected number, got 'abc' \(text\)/],
    ['32.5', /key 'data\.image_size': expected a whole number, got 32\.5/],
    ['1e400', /key 'data\.image_size': expected number, got Infinity/],
    ['.nan', /key 'data\.image_size': expected number, got NaN/],
    ['[1, 2]', /key 'data\.image_size': expected number, got a list \[1,2\]/],
  ])('--set data.image_size=%s is a wrong type, not a missing key', (value, message) => {
    const f = write('types.yaml', base);
    expect(() => loadConfig(f, [`data.image_size=${value}`])).toThrow(message);
    expect(() => loadConfig(f, [`data.image_size=${value}`])).not.toThrow(/missing key/);
  });

  it('a grid value of the wrong type names the key and the value', () => {
    expect(() => parseConfig({ name: 'x', data: { root: 'd', resize: 7 }, model: { arch: 'a' } }, 'sweep.yaml (resize=7)')).toThrow(
      /sweep\.yaml \(resize=7\): key 'data\.resize': expected one of "letterbox"\|"stretch", got 7/,
    );
  });

  it('YAML the parser only warns about is one error naming the file and line', () => {
    const warnings = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      const f = write('tag.yaml', 'name: x\nmodel: !!js/function "function () {}"\ndata: { root: d }\n');
      expect(() => loadConfig(f)).toThrow(new RegExp(`^${f.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: not valid YAML \\(Unresolved tag: tag:yaml\\.org,2002:js/function at line 2, column 8\\)$`));
      expect(() => loadConfig(write('dup.yaml', `${base}name: y\n`))).toThrow(/dup\.yaml: not valid YAML \(Map keys must be unique at line 4/);
      expect(warnings).not.toHaveBeenCalled();
    } finally {
      warnings.mockRestore();
    }
  });

  it('a normalisation std of 0 is refused before training on NaN', () => {
    const f = write('std.yaml', base);
    expect(() => loadConfig(f, ['augment.normalize.std=[0, 0, 0]'])).toThrow(/key 'augment\.normalize\.std\.0': Too small: expected number to be >0, got 0/);
  });

  it('--set cannot reach the shared object prototype', () => {
    const f = write('proto.yaml', base);
    for (const key of ['__proto__.polluted', 'constructor.prototype.polluted', 'data.__proto__.polluted']) {
      expect(() => loadConfig(f, [`${key}=1`])).toThrow(/is not a config key/);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
