import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import fc from 'fast-check';
import YAML from 'yaml';
import { isTimError, TimError } from '../../../src/core/errors';
import { hasControl } from '../../../src/core/printable';
import { k8sManifest, slurmFiles, type ClusterOptions } from '../../../src/experiments/cluster';
import { loadSweepSpec } from '../../../src/experiments/sweep-spec';
import { runTim } from '../../support/cli';
import { tmpDir } from '../../support/tmp';

const TINY = path.resolve(__dirname, '../../../configs/sweeps/tiny.yaml');
const spec = loadSweepSpec(TINY);

/**
 * The words sbatch takes from the text after `#SBATCH`, as Slurm's batch-script tokenizer reads
 * them: whitespace separates words; a backslash takes the next character as it is; `'` or `"`
 * opens a quote closed by the same character (newer Slurm) or `"` toggles a quote and `'` is
 * plain (older Slurm); an unquoted `#` ends the line (older Slurm: also a quoted one).
 */
function sbatchWords(line: string, slurm: 'new' | 'old'): string[] {
  const words: string[] = [];
  let i = 0;
  for (;;) {
    while (i < line.length && /\s/.test(line[i]!)) i++;
    if (i >= line.length) return words;
    let word = '';
    let quote = '';
    for (; i < line.length && (quote !== '' || !/\s/.test(line[i]!)); i++) {
      const c = line[i]!;
      if (c === '\\') word += line[++i] ?? '';
      else if (quote !== '' && c === quote) quote = '';
      else if (quote === '' && (c === '"' || (c === "'" && slurm === 'new'))) quote = c;
      else if (c === '#' && (quote === '' || slurm === 'old')) return [...words, word];
      else word += c;
    }
    if (quote !== '') throw new Error(`unmatched ${quote} in ${line}`);
    words.push(word);
  }
}

function directives(file: string): string[] {
  return file.split('\n').filter((l) => l.startsWith('#SBATCH')).map((l) => l.slice('#SBATCH'.length));
}

/** Values as sbatch would read them from each `#SBATCH --key=value` line: key → value. */
function sbatchOptions(file: string, slurm: 'new' | 'old'): Record<string, string> {
  const options: Record<string, string> = {};
  for (const line of directives(file)) {
    const words = sbatchWords(line, slurm);
    expect(words).toHaveLength(1);
    const m = /^--([a-z-]+)=([\s\S]*)$/.exec(words[0]!)!;
    options[m[1]!] = m[2]!;
  }
  return options;
}

/** Runs bash once over many lines whose words are printed NUL-separated, one record per line. */
function bashWords(lines: string[]): string[][] {
  const script = lines.map((l) => `printf '%s\\0' ${l}; printf '\\1'`).join('\n');
  return execFileSync('bash', ['-c', script], { encoding: 'utf8' })
    .split('\u0001')
    .slice(0, lines.length)
    .map((rec) => rec.split('\0').slice(0, -1));
}

/** What Kubernetes makes of a command entry: `$$` is one `$`, `$(NAME)` the variable (every one set here to X). */
function k8sExpand(s: string): string {
  return s.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m) => (m === '$$' ? '$' : 'X'));
}

// Strings of any UTF-16 code units, with the characters that matter here made frequent.
const hostile = fc.string({ unit: fc.oneof(fc.constantFrom('\n', '\r', '\t', '\u001b', '\u0085', ' ', "'", '"', '\\', '#', '$', '(', ')', '%', ':', '-', '\u2028'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })), maxLength: 24 });
const printableOnly = hostile.map((s) => [...s].filter((c) => !hasControl(c)).join(''));
const plainSegment = fc.string({ unit: fc.constantFrom('a', 'B', '1', '_'), minLength: 1, maxLength: 6 });

function tryEmit<T>(f: () => T): T | TimError {
  try {
    return f();
  } catch (e) {
    if (isTimError(e)) return e;
    throw e;
  }
}

describe('sweep --emit slurm: no value can end a directive or run as a command', () => {
  it('a value with a control character is refused naming the flag; any other value reads back exactly in sbatch, old and new', () => {
    fc.assert(
      fc.property(hostile, fc.constantFrom('partition', 'mem', 'time'), (value, key) => {
        const files = tryEmit(() => slurmFiles(spec, 4, { out: '/shared/x', [key]: value }));
        if (files instanceof TimError) {
          expect(hasControl(value)).toBe(true);
          expect(files.message).toMatch(new RegExp(`^--${key} '`));
          expect(files.message).not.toMatch(/\n/);
          return;
        }
        expect(hasControl(value)).toBe(false);
        for (const name of ['sweep.sbatch', 'summarize.sbatch']) {
          const text = files[name]!;
          // One directive line per option, no line that is not ours.
          expect(text.split('\n').filter((l) => !l.startsWith('#') && l !== '')).toHaveLength(3);
          const flag = key === 'time' && name === 'summarize.sbatch' ? undefined : key;
          if (value === '' || flag === undefined) continue;
          for (const slurm of ['new', 'old'] as const) expect(sbatchOptions(text, slurm)[flag]).toBe(value);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('the sweep folder reads back exactly in --output (with % kept literal) and in every shell line', () => {
    const segment = fc.oneof(hostile, printableOnly, printableOnly).filter((s) => s !== '' && !s.includes('/') && s !== '.' && s !== '..');
    const samples = fc.sample(fc.tuple(fc.array(fc.oneof(plainSegment, segment), { minLength: 1, maxLength: 3 }), fc.oneof(hostile, printableOnly, printableOnly)), 200);
    const cases: { out: string; workdir: string; files: Record<string, string> }[] = [];
    for (const [segments, workSegment] of samples) {
      const out = path.join('/shared', ...segments);
      const workdir = path.join('/opt', workSegment.replace(/\//g, '_') || 'tim');
      const opts: ClusterOptions = { out, workdir };
      const files = tryEmit(() => slurmFiles(spec, 4, opts));
      if (files instanceof TimError) {
        expect(hasControl(out) || hasControl(workdir) || out.includes('\\')).toBe(true);
        continue;
      }
      expect(hasControl(out) || hasControl(workdir)).toBe(false);
      const logs = `${path.resolve(out).replace(/%/g, '%%')}/logs`;
      for (const slurm of ['new', 'old'] as const) {
        expect(sbatchOptions(files['sweep.sbatch']!, slurm).output).toBe(`${logs}/%x-%A_%a.out`);
        expect(sbatchOptions(files['summarize.sbatch']!, slurm).output).toBe(`${logs}/%x-%j.out`);
      }
      cases.push({ out: path.resolve(out), workdir: path.resolve(workdir), files });
    }
    expect(cases.length).toBeGreaterThan(30);
    // Every shell line, read by bash itself: the words Tim meant, nothing run.
    const lines: string[] = [];
    const expected: string[][] = [];
    for (const c of cases) {
      const body = c.files['sweep.sbatch']!.split('\n');
      lines.push(body.find((l) => l.startsWith('cd '))!.slice(3), body.find((l) => l.startsWith('exec '))!.slice(5));
      expected.push([c.workdir], ['node', path.join(c.workdir, 'bin', 'tim.js'), 'sweep', '--config', TINY, '--out', c.out]);
      const submit = c.files['submit.sh']!.split('\n');
      lines.push(submit.find((l) => l.startsWith('mkdir -p '))!.slice(9));
      expected.push([path.join(c.out, 'logs')]);
    }
    expect(bashWords(lines)).toEqual(expected);
  });

  it('a folder with spaces gives quoted directives; a backslash in it is refused (it would turn off the log-name patterns)', () => {
    const files = slurmFiles(spec, 4, { out: '/shared/my sweeps/x', partition: 'gpu', mem: '16G' });
    expect(files['sweep.sbatch']).toContain('#SBATCH --output="/shared/my sweeps/x/logs/%x-%A_%a.out"\n');
    expect(files['sweep.sbatch']).toContain('#SBATCH --partition=gpu\n#SBATCH --mem=16G\n');
    expect(files['sweep.sbatch']).toContain("--out '/shared/my sweeps/x'\n");
    expect(() => slurmFiles(spec, 4, { out: '/shared/a\\b' })).toThrow(/^--out '\/shared\/a\\\\b': Slurm cannot name log files/);
  });
});

describe('sweep --emit k8s: no value is expanded or read as YAML structure', () => {
  it('every value is refused for a control character or reads back exactly, with $(VAR) left unexpanded', () => {
    fc.assert(
      fc.property(hostile, hostile, hostile, hostile, (outSegment, image, claim, mem) => {
        const out = path.join('/shared', outSegment.replace(/\//g, '_') || 'x');
        const opts: ClusterOptions = { out, workdir: '/app', image: image || undefined, claim: claim || undefined, mem: mem || undefined, cpus: 2 };
        const text = tryEmit(() => k8sManifest(spec, 3, opts));
        if (text instanceof TimError) {
          expect([out, image, claim, mem].some(hasControl)).toBe(true);
          return;
        }
        expect([out, image, claim, mem].some(hasControl)).toBe(false);
        const docs = YAML.parseAllDocuments(text).map((d) => d.toJS() as { spec: { template: { spec: { containers: Record<string, unknown>[]; volumes: { persistentVolumeClaim: { claimName: string } }[] } } } });
        expect(docs).toHaveLength(2);
        for (const doc of docs) {
          const pod = doc.spec.template.spec;
          const c = pod.containers[0]!;
          expect(Object.keys(c).sort()).toEqual(['command', 'image', 'name', 'volumeMounts', 'workingDir', ...(c.resources ? ['resources'] : [])].sort());
          expect(c.image).toBe(image || 'your-registry/tim:latest');
          expect(pod.volumes[0]!.persistentVolumeClaim.claimName).toBe(claim || 'tim-shared');
          expect((c.command as string[]).map(k8sExpand).slice(0, 7)).toEqual(['node', '/app/bin/tim.js', 'sweep', '--config', TINY, '--out', path.resolve(out)]);
          expect(c.volumeMounts).toEqual([{ name: 'sweeps', mountPath: path.dirname(path.resolve(out)) }]);
        }
        const shardPod = docs[0]!.spec.template.spec.containers[0]! as { resources: { requests: Record<string, string> } };
        expect(shardPod.resources.requests).toEqual({ cpu: '2', ...(mem ? { memory: mem } : {}) });
      }),
      { numRuns: 300 },
    );
  });

  it('writes $(HOME) in a path as $$(HOME)', () => {
    const text = k8sManifest(spec, 2, { out: '/shared/$(HOME)/x', workdir: '/app' });
    const command = YAML.parseAllDocuments(text).map((d) => (d.toJS() as { spec: { template: { spec: { containers: { command: string[] }[] } } } }).spec.template.spec.containers[0]!.command);
    for (const c of command) expect(c.slice(5, 7)).toEqual(['--out', '/shared/$$(HOME)/x']);
  });
});

describe('tim sweep --emit: a line break in a value', () => {
  it("is refused in one line naming --partition, --out or the sweep file's out: key, and nothing is written", async () => {
    const t = tmpDir();
    try {
      const out = path.join(t.dir, 'sw');
      const r1 = await runTim(['sweep', '--config', TINY, '--out', out, '--emit', 'slurm', '--partition', 'gpu\ntouch /tmp/pwned']);
      expect(r1.code).not.toBe(0);
      expect(r1.stderr.trim().split('\n')).toHaveLength(1);
      expect(r1.stderr).toContain("--partition 'gpu\\x0atouch /tmp/pwned': a job file cannot hold a line break");
      expect(() => slurmFiles(spec, 4, { out: `${out}\nid` })).toThrow(/^--out '.*sw\\x0aid': a job file cannot hold/);
      const sweepFile = path.join(t.dir, 's.yaml');
      fs.writeFileSync(sweepFile, YAML.stringify({ ...YAML.parse(fs.readFileSync(TINY, 'utf8')), out: `${out}\rx` }));
      const r3 = await runTim(['sweep', '--config', sweepFile, '--emit', 'k8s']);
      expect(r3.stderr).toMatch(/s\.yaml: out '.*sw\\x0dx': a job file cannot hold/);
      expect(fs.existsSync(out)).toBe(false);
    } finally {
      t.cleanup();
    }
  }, 60_000);
});
