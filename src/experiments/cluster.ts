import * as fs from 'fs';
import * as path from 'path';
import YAML from 'yaml';
import { TimError } from '../core/errors';
import { hasControl, printable } from '../core/printable';
import { writeFileAtomic } from '../io/atomic';
import { openSweepFolder } from './sweep';
import { expandSweep, type SweepSpec } from './sweep-spec';

/**
 * Job files for running a sweep on a cluster: a Slurm job array with a dependent job that
 * writes the summary once every array task has ended, or a Kubernetes Indexed Job with a
 * summary Job that waits for every shard's completion marker. Each task runs its shard of the
 * sweep (`tim sweep` reads the index from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX) into one
 * shared sweep folder.
 */

export type ClusterEngine = 'slurm' | 'k8s';
export const CLUSTER_ENGINES: readonly ClusterEngine[] = ['slurm', 'k8s'];

export interface ClusterOptions {
  /** The sweep folder every task writes into (shared storage on a cluster); absolute in the files. */
  out: string;
  /** Array tasks; default one per run. */
  shards?: number;
  /** GPUs per task (default 1; 0 for none). */
  gpus?: number;
  cpus?: number;
  /** Memory per task, e.g. `32G` (Slurm) or `32Gi` (Kubernetes). */
  mem?: string;
  /** Wall-clock limit per task: Slurm's `--time` (e.g. `12:00:00`). */
  time?: string;
  partition?: string;
  /** Kubernetes: the container image with Tim installed at `workdir`. */
  image?: string;
  /** Kubernetes: the persistent volume claim mounted at the sweep folder's parent. */
  claim?: string;
  /** The folder Tim runs from (its repository); default the current directory. */
  workdir?: string;
  /** Where `out` was given, for errors: `--out` (the default) or the sweep file's `out:` key. */
  outKey?: string;
}

/** Where a sweep's job files go: `<out>/cluster/`. */
export function clusterDir(out: string): string {
  return path.join(out, 'cluster');
}

/** A word of a POSIX shell line: as it is when plain, else single-quoted with each `'` written `'\\''`. */
function shellWord(arg: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * The value of an `#SBATCH --opt=value` line as sbatch reads it (its own tokenizer, not the
 * shell's): double quotes keep spaces, a backslash takes the next character as it is, and an
 * unescaped `#` starts a comment even inside quotes on older Slurm, so `\`, `"`, `'` and `#` are
 * escaped inside the quotes. Line breaks cannot be written at all; they are refused before.
 */
function sbatchValue(value: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(value) ? value : `"${value.replace(/[\\"'#]/g, '\\$&')}"`;
}

/** `$` doubled: Kubernetes expands `$(VAR)` in a container's command and reads `$$` as one `$`. */
function k8sLiteral(value: string): string {
  return value.replace(/\$/g, '$$$$');
}

/** Refuses a value that would end a directive line or hide text in a job file, naming where it came from. */
function checked(value: string, key: string): string {
  if (hasControl(value)) throw new TimError(`${key} '${printable(value)}': a job file cannot hold a line break or other control character; give the value without one`);
  return value;
}

function resolved(spec: SweepSpec, runCount: number, opts: ClusterOptions) {
  const shards = opts.shards ?? runCount;
  if (!Number.isInteger(shards) || shards < 1) throw new TimError(`--shards: expected a whole number ≥ 1, got ${shards}`);
  const gpus = opts.gpus ?? 1;
  if (!Number.isInteger(gpus) || gpus < 0) throw new TimError(`--gpus: expected a whole number ≥ 0, got ${gpus}`);
  if (opts.cpus !== undefined && (!Number.isInteger(opts.cpus) || opts.cpus < 1)) throw new TimError(`--cpus: expected a whole number ≥ 1, got ${opts.cpus}`);
  for (const key of ['mem', 'time', 'partition', 'image', 'claim'] as const) {
    const value = opts[key];
    if (value !== undefined) checked(value, `--${key}`);
  }
  const workdir = checked(path.resolve(opts.workdir ?? process.cwd()), '--workdir');
  const tim = path.join(workdir, 'bin', 'tim.js');
  const config = checked(path.resolve(spec.file), '--config');
  const out = checked(path.resolve(opts.out), opts.outKey ?? '--out');
  return { shards, gpus, workdir, tim, config, out, name: spec.name };
}

/** A Slurm job name: Slurm accepts most characters, but a plain one reads well in squeue. */
function jobName(name: string): string {
  return `tim-${name}`.replace(/[^A-Za-z0-9_.-]/g, '-');
}

/**
 * `sweep.sbatch` (the array: task i runs shard i of n), `summarize.sbatch` (the merge) and
 * `submit.sh`, which submits the array and the merge with `--dependency=afterany:<array>`, so
 * the summary is written once every task has ended, failed ones included.
 */
export function slurmFiles(spec: SweepSpec, runCount: number, opts: ClusterOptions): Record<string, string> {
  const r = resolved(spec, runCount, opts);
  const logs = path.join(r.out, 'logs');
  // In --output a backslash turns off Slurm's %-patterns, so every task would share one log.
  if (logs.includes('\\')) throw new TimError(`${opts.outKey ?? '--out'} '${printable(r.out)}': Slurm cannot name log files in a folder whose path holds a backslash; choose another folder`);
  // %% is a literal % in Slurm's file name patterns.
  const logPattern = (name: string) => sbatchValue(`${logs.replace(/%/g, '%%')}/${name}`);
  const common = [
    ...(opts.partition ? [`#SBATCH --partition=${sbatchValue(opts.partition)}`] : []),
    ...(opts.cpus ? [`#SBATCH --cpus-per-task=${opts.cpus}`] : []),
    ...(opts.mem ? [`#SBATCH --mem=${sbatchValue(opts.mem)}`] : []),
  ];
  const sweepCmd = ['node', r.tim, 'sweep', '--config', r.config, '--out', r.out].map(shellWord).join(' ');
  const array = [
    '#!/bin/bash',
    `# Sweep ${r.name}: ${runCount} runs in ${r.shards} array tasks; task i runs shard i of ${r.shards}`,
    '# (tim sweep reads SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_MIN and SLURM_ARRAY_TASK_COUNT).',
    `#SBATCH --job-name=${jobName(r.name)}`,
    `#SBATCH --array=0-${r.shards - 1}`,
    `#SBATCH --output=${logPattern('%x-%A_%a.out')}`,
    ...(r.gpus > 0 ? [`#SBATCH --gres=gpu:${r.gpus}`] : []),
    ...(opts.time ? [`#SBATCH --time=${sbatchValue(opts.time)}`] : []),
    ...common,
    'set -euo pipefail',
    `cd ${shellWord(r.workdir)}`,
    `exec ${sweepCmd}`,
    '',
  ].join('\n');
  const summarize = [
    '#!/bin/bash',
    `# Sweep ${r.name}: writes summary.md, summary.csv and pairs.csv once every array task has ended.`,
    `#SBATCH --job-name=${jobName(r.name)}-summary`,
    `#SBATCH --output=${logPattern('%x-%j.out')}`,
    '#SBATCH --time=01:00:00',
    ...common,
    'set -euo pipefail',
    `cd ${shellWord(r.workdir)}`,
    `exec ${sweepCmd} --summarize`,
    '',
  ].join('\n');
  const dir = clusterDir(r.out);
  const submit = [
    '#!/bin/bash',
    `# Submits sweep ${r.name}: the array, then the summary after it (afterany: whatever the tasks' exit codes).`,
    '# Prints the two job ids.',
    'set -euo pipefail',
    `mkdir -p ${shellWord(logs)}`,
    `array=$(sbatch --parsable ${shellWord(path.join(dir, 'sweep.sbatch'))})`,
    'array=${array%%;*}',
    `summary=$(sbatch --parsable --dependency=afterany:"$array" ${shellWord(path.join(dir, 'summarize.sbatch'))})`,
    'echo "$array ${summary%%;*}"',
    '',
  ].join('\n');
  return { 'sweep.sbatch': array, 'summarize.sbatch': summarize, 'submit.sh': submit };
}

/** Kubernetes object names: lower-case letters, digits and '-'. */
function k8sName(name: string): string {
  return `tim-${name}`.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+$/, '').slice(0, 52);
}

/**
 * `sweep-k8s.yaml`: an Indexed Job (completions = parallelism = shards) whose pod i runs shard
 * i (`--shards N` with JOB_COMPLETION_INDEX), and a summary Job that waits until every shard has
 * left its completion marker in the sweep folder, then writes the summary.
 */
export function k8sManifest(spec: SweepSpec, runCount: number, opts: ClusterOptions): string {
  const r = resolved(spec, runCount, opts);
  const name = k8sName(r.name);
  const mount = path.dirname(r.out);
  const requests: Record<string, string> = {};
  if (opts.cpus) requests.cpu = String(opts.cpus);
  if (opts.mem) requests.memory = opts.mem;
  const limits: Record<string, string> = r.gpus > 0 ? { 'nvidia.com/gpu': String(r.gpus) } : {};
  const volume = { name: 'sweeps', persistentVolumeClaim: { claimName: opts.claim ?? 'tim-shared' } };
  const container = (args: string[], extra: Record<string, unknown> = {}) => ({
    name: 'tim',
    image: opts.image ?? 'your-registry/tim:latest',
    workingDir: r.workdir,
    command: ['node', r.tim, 'sweep', '--config', r.config, '--out', r.out, ...args].map(k8sLiteral),
    volumeMounts: [{ name: 'sweeps', mountPath: mount }],
    ...extra,
  });
  const shardJob = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, labels: { app: 'tim', sweep: name } },
    spec: {
      completionMode: 'Indexed',
      completions: r.shards,
      parallelism: r.shards,
      backoffLimit: 2 * r.shards,
      template: {
        spec: {
          restartPolicy: 'Never',
          containers: [container(['--shards', String(r.shards)], Object.keys(requests).length || Object.keys(limits).length ? { resources: { ...(Object.keys(requests).length ? { requests } : {}), ...(Object.keys(limits).length ? { limits } : {}) } } : {})],
          volumes: [volume],
        },
      },
    },
  };
  const summaryJob = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: `${name}-summary`, labels: { app: 'tim', sweep: name } },
    spec: {
      backoffLimit: 2,
      template: {
        spec: {
          restartPolicy: 'OnFailure',
          containers: [container(['--summarize', '--wait-shards', String(r.shards)])],
          volumes: [volume],
        },
      },
    },
  };
  return [
    `# Sweep ${r.name}: ${runCount} runs in ${r.shards} indexed pods, then the summary.`,
    '# kubectl apply -f this file. The sweep folder must be on the claimed volume.',
    YAML.stringify(shardJob).trimEnd(),
    '---',
    YAML.stringify(summaryJob).trimEnd(),
    '',
  ].join('\n');
}

/** Writes the engine's job files into `<out>/cluster/` and returns their paths. */
export function writeClusterFiles(engine: ClusterEngine, spec: SweepSpec, runCount: number, opts: ClusterOptions): string[] {
  const files = engine === 'slurm' ? slurmFiles(spec, runCount, opts) : { 'sweep-k8s.yaml': k8sManifest(spec, runCount, opts) };
  const dir = clusterDir(path.resolve(opts.out));
  // Only once every value has been checked: a refused one leaves nothing behind.
  openSweepFolder(path.resolve(opts.out), expandSweep(spec));
  fs.mkdirSync(dir, { recursive: true });
  return Object.entries(files).map(([name, text]) => {
    const file = path.join(dir, name);
    writeFileAtomic(file, text);
    if (name.endsWith('.sh') || name.endsWith('.sbatch')) fs.chmodSync(file, 0o755);
    return file;
  });
}
