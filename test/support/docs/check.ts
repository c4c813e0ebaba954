import * as fs from 'fs';
import * as path from 'path';
import { z } from 'zod';
import { loadConfig, parseConfig, parseYaml, resolveConfigPath } from '../../../src/config/load';
import { configSchema } from '../../../src/config/schema';
import { shapeAt } from '../../../src/core/zod-issue';
import { readJsonFile } from '../../../src/io/json-file';
import { expandSweep, loadSweepSpec, parseSweepSpec } from '../../../src/experiments/sweep-spec';
import type { CliSpecs } from './cli-spec';
import { parseMarkdown, type DocFile, type Located, type ParsedDoc } from './markdown';
import { shellCommands, type ShellCommand } from './shell';

/**
 * Checks of what README.md and the guides in docs/ tell a user to type or open. Each problem
 * is one line: `file:line: what the doc says: what is wrong`.
 */

const where = (at: Located): string => `${at.file}:${at.line}`;
/** Orders `file:line: ...` problems by file, then line. */
function byPlace(a: string, b: string): number {
  const [fa = '', la = '0'] = a.split(':');
  const [fb = '', lb = '0'] = b.split(':');
  return fa === fb ? Number(la) - Number(lb) : fa < fb ? -1 : 1;
}
/** A placeholder the reader fills in (`<command>`, `A B ...`), not something to check. */
const isPlaceholder = (word: string): boolean => /[<>]|\.\.\./.test(word) || /^[A-Z][A-Z0-9_]*$/.test(word);

/** `npm run X -- ARGS`, `npm test`, `npx tim ARGS`, `tim ARGS` or `node bin/tim.js ARGS`; undefined for any other program. */
type Invocation = { kind: 'script'; script: string; args: string[]; argsWithoutDashes: boolean } | { kind: 'tim'; args: string[] };

function invocation(words: readonly string[]): Invocation | undefined {
  const start = words.findIndex((x) => !/^[A-Za-z_]\w*=/.test(x));
  if (start < 0) return undefined;
  const w = words.slice(start);
  const [a, b, c] = w;
  if (a === 'npm' && b === 'test') return { kind: 'script', script: 'test', args: w.slice(2), argsWithoutDashes: false };
  if (a === 'npm' && b === 'run' && c !== undefined) {
    const rest = w.slice(3);
    return rest[0] === '--' ? { kind: 'script', script: c, args: rest.slice(1), argsWithoutDashes: false } : { kind: 'script', script: c, args: rest, argsWithoutDashes: rest.length > 0 };
  }
  if (a === 'npx' && b === 'tim') return { kind: 'tim', args: w.slice(2) };
  if (a === 'tim') return { kind: 'tim', args: w.slice(1) };
  if (a === 'node' && b === 'bin/tim.js') return { kind: 'tim', args: w.slice(2) };
  return undefined;
}

/** The npm scripts of package.json, and the tim arguments each one that runs `node bin/tim.js` starts with. */
export function npmScripts(root: string): Map<string, string[] | undefined> {
  const { scripts } = readJsonFile(path.join(root, 'package.json'), z.object({ scripts: z.record(z.string(), z.string()) }));
  const out = new Map<string, string[] | undefined>();
  for (const [name, command] of Object.entries(scripts)) {
    const words = command.split(/\s+/);
    out.set(name, words[0] === 'node' && words[1] === 'bin/tim.js' ? words.slice(2) : undefined);
  }
  return out;
}

/**
 * The config a command names, read as that command reads it: a sweep file expanded into its
 * runs, a training config with the command's `--set`s applied, any other (`bench epoch`) found.
 * Each check is Tim's own, so a key the schema no longer has is reported as Tim reports it.
 */
function configProblem(root: string, command: readonly string[], arg: string, sets: readonly string[], acceptsSet: boolean): string | undefined {
  if (isPlaceholder(arg)) return undefined;
  // The docs' commands run from the repository root, wherever the test runs from.
  const config = arg.includes('/') && !path.isAbsolute(arg) ? path.join(root, arg) : arg;
  try {
    if (command[0] === 'sweep') expandSweep(loadSweepSpec(resolveConfigPath(config)));
    else if (acceptsSet) loadConfig(config, sets);
    else resolveConfigPath(config);
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** The problems of a `tim` argument list: its command path, every flag, and every config it names. */
async function timProblems(root: string, specs: CliSpecs, args: readonly string[]): Promise<string[]> {
  const cmd: string[] = [];
  let spec = await specs.of(cmd);
  let i = 0;
  while (spec.subcommands.length > 0) {
    const word = args[i];
    if (word !== undefined && isPlaceholder(word)) return [];
    if (word === undefined || word.startsWith('-')) {
      return args.includes('--help') ? [] : [`\`tim ${cmd.join(' ')}\` names no command (${spec.subcommands.join(', ')})`];
    }
    if (!spec.subcommands.includes(word)) return [`tim ${cmd.join(' ')}${cmd.length ? ' ' : ''}has no command '${word}' (it has ${spec.subcommands.join(', ')})`];
    cmd.push(word);
    spec = await specs.of(cmd);
    i++;
  }
  const name = `tim ${cmd.join(' ')}`;
  const problems: string[] = [];
  const words = args.slice(i).map((w) => w.replace(/^\[+/, '').replace(/\]+$/, ''));
  const configs: string[] = [];
  const sets: string[] = [];
  words.forEach((word, k) => {
    const long = /^--([A-Za-z][\w-]*)(=(.*))?$/.exec(word);
    const short = /^-([A-Za-z])$/.exec(word);
    const flag = long ? (long[1] as string) : short ? (short[1] as string) : undefined;
    if (flag === undefined) return;
    const known = long ? spec.options.has(flag) || (flag.startsWith('no-') && spec.options.has(flag.slice(3))) : spec.aliases.has(flag);
    if (!known) problems.push(`${name} has no option ${long ? '--' : '-'}${flag}`);
    const value = long?.[3] ?? words[k + 1] ?? '';
    if (flag === 'config' || flag === 'c') configs.push(value);
    if (flag === 'set') sets.push(value);
  });
  for (const config of configs) {
    const problem = configProblem(root, cmd, config, sets, spec.options.has('set'));
    if (problem) problems.push(problem);
  }
  return problems;
}

async function commandProblems(root: string, specs: CliSpecs, scripts: Map<string, string[] | undefined>, command: ShellCommand): Promise<string[]> {
  const call = invocation(command.words);
  if (!call) return [];
  if (call.kind === 'tim') return timProblems(root, specs, call.args);
  if (isPlaceholder(call.script)) return [];
  if (!scripts.has(call.script)) return [`npm has no script '${call.script}' (package.json)`];
  const timPrefix = scripts.get(call.script);
  if (timPrefix === undefined) return [];
  if (call.argsWithoutDashes) return [`npm run ${call.script} passes its arguments to tim only after \`--\``];
  return timProblems(root, specs, [...timPrefix, ...call.args]);
}

/**
 * Every command the docs show: an npm script that exists, a tim command and subcommand that
 * exist, flags that command accepts, configs that exist.
 */
export async function docCommandProblems(root: string, specs: CliSpecs, docs: readonly ParsedDoc[]): Promise<{ commands: ShellCommand[]; problems: string[] }> {
  const scripts = npmScripts(root);
  const timCommands = (await specs.of([])).subcommands;
  const commands = docs.flatMap((d) => shellCommands(d, timCommands));
  const problems: string[] = [];
  for (const command of commands) {
    for (const p of await commandProblems(root, specs, scripts, command)) problems.push(`${where(command)}: ${command.text}: ${p}`);
  }
  return { commands, problems: problems.sort(byPlace) };
}

/** Top-level folders of the repository whose paths the docs name in code. */
const REPO_PATH = /(?<![\w./-])((?:src|test|scripts|configs|bench|notebooks-ts|bin|docs|packages|\.ci)\/[^\s`'"(),;:\]]*)/g;

/**
 * Every repository path the docs name in code (`src/...`, `test/...`, `scripts/...`,
 * `configs/...`, ...) exists, and so does every test file named by itself (`loop.test.ts`).
 */
export function docPathProblems(root: string, docs: readonly ParsedDoc[]): string[] {
  // The app's tests, and each workspace package's own.
  const packages = path.join(root, 'packages');
  const packageDirs = fs.existsSync(packages) ? fs.readdirSync(packages).map((p) => path.join(packages, p, 'test')) : [];
  const testDirs = [path.join(root, 'test'), ...packageDirs.filter((d) => fs.existsSync(d))];
  const testFiles = new Set(testDirs.flatMap(listFiles).map((f) => path.basename(f)));
  const problems: string[] = [];
  const check = (at: Located, code: string): void => {
    for (const m of code.matchAll(REPO_PATH)) {
      const p = (m[1] as string).replace(/\.+$/, '');
      const next = code[m.index + m[0].length] ?? '';
      if (isPlaceholder(p) || /[*{$|]/.test(p) || next === '<') continue;
      if (!fs.existsSync(path.join(root, p))) problems.push(`${where(at)}: ${p} does not exist`);
    }
    if (/^[\w.-]+\.test\.ts$/.test(code) && !testFiles.has(code)) problems.push(`${where(at)}: no test file ${code} under test/ or packages/*/test/`);
  };
  for (const doc of docs) {
    for (const span of doc.spans) check(span, span.code);
    for (const block of doc.blocks) block.lines.forEach((l, i) => check({ file: block.file, line: block.line + i }, l));
  }
  return problems.sort(byPlace);
}

function listFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

/** Every relative link between the docs resolves: the file, and for `#anchor` links a heading of it. */
export function docLinkProblems(root: string, docs: readonly DocFile[]): string[] {
  const parsed = new Map(docs.map((d) => [d.file, parseMarkdown(d)]));
  const anchorsOf = (file: string): Set<string> | undefined => {
    const known = parsed.get(file);
    if (known) return known.anchors;
    const abs = path.join(root, file);
    return file.endsWith('.md') && fs.existsSync(abs) ? parseMarkdown({ file, text: fs.readFileSync(abs, 'utf8') }).anchors : undefined;
  };
  const problems: string[] = [];
  for (const [file, doc] of parsed) {
    for (const link of doc.links) {
      if (/^[a-z]+:/i.test(link.target)) continue;
      const [target = '', anchor] = link.target.split('#');
      const resolved = target === '' ? file : path.relative(root, path.resolve(root, path.dirname(file), decodeURI(target)));
      if (resolved.startsWith('..') || !fs.existsSync(path.join(root, resolved))) {
        problems.push(`${where(link)}: link ${link.target}: ${resolved} does not exist`);
        continue;
      }
      if (anchor === undefined) continue;
      const anchors = anchorsOf(resolved);
      if (!anchors?.has(anchor)) problems.push(`${where(link)}: link ${link.target}: ${resolved} has no heading #${anchor}`);
    }
  }
  return problems;
}

/** A dotted config key at the start of a code span (`train.weight_decay: 0.05`), or after `--set`. */
const KEY_AT_START = /^((?:data|augment|model|train|runtime)(?:\.\w+)+)(?=$|[:=\s])/;
const KEY_AFTER_SET = /--set '?(\w+(?:\.\w+)+)=/g;
/** `model.json` and the like are files, not keys. */
const FILE_NAME = /\.(json|jsonl|ya?ml|ts|js|md|csv|png|svg|bin|py|pth?|safetensors|html|txt|onnx)$/;

/** Why a dotted key is not in the config schema, or undefined when it is. */
function keyProblem(key: string): string | undefined {
  const segments = key.split('.');
  const last = segments.pop() as string;
  const shape = shapeAt(configSchema, segments);
  if (!shape) return `config key ${key}: ${segments.join('.')} is not a section of the config`;
  return Object.hasOwn(shape, last) ? undefined : `config key ${key} does not exist (${segments.join('.')} has ${Object.keys(shape).join(', ')})`;
}

/**
 * Every config key the docs name in code exists in the schema, and every YAML block is a config
 * or a sweep file (one with `grid:` or `runs:`) that Tim accepts, its sweep runs expanded.
 */
export function docConfigProblems(root: string, docs: readonly ParsedDoc[]): string[] {
  const problems: string[] = [];
  for (const doc of docs) {
    for (const span of doc.spans) {
      const keys = [KEY_AT_START.exec(span.code)?.[1], ...[...span.code.matchAll(KEY_AFTER_SET)].map((m) => m[1])];
      for (const key of keys) {
        if (key === undefined || FILE_NAME.test(key)) continue;
        const problem = keyProblem(key);
        if (problem) problems.push(`${where(span)}: ${problem}`);
      }
    }
    for (const block of doc.blocks) {
      if (block.info !== 'yaml') continue;
      try {
        const raw = parseYaml(block.lines.join('\n'), 'the YAML block');
        const isSweep = typeof raw === 'object' && raw !== null && ('grid' in raw || 'runs' in raw);
        // A sweep's base config is looked up as it would be from a file in configs/sweeps/.
        if (isSweep) expandSweep(parseSweepSpec(raw, path.join(root, 'configs', 'sweeps', 'example.yaml')));
        else parseConfig(raw, 'the YAML block');
      } catch (e) {
        problems.push(`${where(block)}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }
  return problems.sort(byPlace);
}

/** Where Tim reads its environment variables: its sources, benchmarks, scripts and test harness. */
const ENV_READERS = ['src', 'bench', 'scripts', 'bin', 'notebooks-ts', 'test/support'];

/** Every `TIM_...` environment variable the docs name in code is one that Tim's code reads. */
export function docEnvProblems(root: string, docs: readonly ParsedDoc[]): string[] {
  const code = ENV_READERS.flatMap((dir) => listFiles(path.join(root, dir)))
    .filter((f) => /\.(ts|js|sh|py)$/.test(f))
    .map((f) => fs.readFileSync(f, 'utf8'))
    .join('\n');
  const problems: string[] = [];
  for (const doc of docs) {
    for (const span of doc.spans) {
      for (const m of span.code.matchAll(/\bTIM_[A-Z0-9_]+/g)) {
        if (!new RegExp(`\\b${m[0]}\\b`).test(code)) problems.push(`${where(span)}: no code reads the environment variable ${m[0]}`);
      }
    }
  }
  return problems.sort(byPlace);
}
