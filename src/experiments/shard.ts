import { TimError } from '../core/errors';

/**
 * One slice of a sweep. `index` is 0-based (0 … count-1), the convention of Kubernetes'
 * JOB_COMPLETION_INDEX and of `sbatch --array=0-N`, so a job array passes its index unchanged.
 */
export interface Shard {
  index: number;
  count: number;
}

/** A job-array variable: absent, or a whole number (anything else is an error naming it). */
function envNumber(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const text = env[name];
  if (text === undefined || text.trim() === '') return undefined;
  if (!/^\s*\d+\s*$/.test(text)) throw new TimError(`${name}='${text}': expected a whole number; is this a job-array task?`);
  return Number(text);
}

function checked(index: number, count: number, source: string): Shard {
  if (!Number.isInteger(index) || index < 0) throw new TimError(`${source}: gives shard index ${index}; indices are 0-based, 0 to ${count - 1}`);
  if (count < 1) throw new TimError(`${source}: the shard count must be at least 1`);
  if (index >= count) throw new TimError(`${source}: shard index ${index} is out of range; indices are 0-based, 0 to ${count - 1}`);
  return { index, count };
}

/** Parses `--shard i/n` (0-based i). */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) throw new TimError(`--shard '${text}': expected i/n with a 0-based index, e.g. 0/4`);
  return checked(Number(m[1]), Number(m[2]), `--shard ${text}`);
}

/**
 * The shard a job array gives this process, if any: Slurm's SLURM_ARRAY_TASK_ID (minus
 * SLURM_ARRAY_TASK_MIN, so `--array=1-4` works too) out of SLURM_ARRAY_TASK_COUNT, or
 * Kubernetes' JOB_COMPLETION_INDEX. `count` is the number of shards when given on the command
 * line (`--shards N`); Slurm's count is used otherwise, and Kubernetes needs it given.
 */
export function shardFromEnv(env: NodeJS.ProcessEnv, count?: number): Shard | undefined {
  const slurmId = envNumber(env, 'SLURM_ARRAY_TASK_ID');
  if (slurmId !== undefined) {
    const min = envNumber(env, 'SLURM_ARRAY_TASK_MIN') ?? 0;
    // `--array=0-6:2` numbers its tasks 0, 2, 4, 6.
    const step = envNumber(env, 'SLURM_ARRAY_TASK_STEP') ?? 1;
    if (step < 1) throw new TimError(`SLURM_ARRAY_TASK_STEP=${step}: expected at least 1`);
    const n = count ?? envNumber(env, 'SLURM_ARRAY_TASK_COUNT');
    if (n === undefined) throw new TimError('SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not; pass --shards N or --shard i/n');
    return checked((slurmId - min) / step, n, `SLURM_ARRAY_TASK_ID=${slurmId} (SLURM_ARRAY_TASK_MIN=${min}, step ${step})`);
  }
  const k8sIndex = envNumber(env, 'JOB_COMPLETION_INDEX');
  if (k8sIndex !== undefined) {
    if (count === undefined) throw new TimError('JOB_COMPLETION_INDEX is set; pass --shards N (the Job\'s completions) or --shard i/n');
    return checked(k8sIndex, count, `JOB_COMPLETION_INDEX=${k8sIndex}`);
  }
  if (count !== undefined) throw new TimError(`--shards ${count}: no job-array index in the environment (SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX); use --shard i/n`);
  return undefined;
}

/**
 * The items of one shard: contiguous, balanced slices of the (already sorted) list. Over all
 * indices the slices are disjoint and cover the list; a shard may be empty when n > items.
 */
export function selectShard<T>(items: readonly T[], shard: Shard | undefined): T[] {
  if (!shard) return [...items];
  const start = Math.floor((shard.index * items.length) / shard.count);
  const end = Math.floor(((shard.index + 1) * items.length) / shard.count);
  return items.slice(start, end);
}
