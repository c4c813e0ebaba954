import * as fs from 'fs';
import * as path from 'path';
import { z } from 'zod';
import { TimError } from '../core/errors';
import { compareRunDirs, type PairComparison, type PairwiseComparison } from '../evaluate/paired';
import { parseCsv } from '../io/csv';
import { readJsonFile } from '../io/json-file';
import { RUN_FILES } from '../io/run-folder';
import type { SweepManifest, SweepRow } from './summary';
import { LISTED_RUN_KEY } from './sweep-spec';

/**
 * The reference project's runs as data (configs/reference/): the accuracy its write-up
 * published, its held-out best epoch from its own per-epoch histories, and the claims its
 * experiments made, for the reference-experiments report.
 */

export const REFERENCE_DIR = path.resolve(__dirname, '../../configs/reference');

const referenceClaimSchema = z.strictObject({
  text: z.string(),
  /** The run the claim says is worse, and the one it says is better. */
  a: z.string(),
  b: z.string(),
});
export type ReferenceClaim = z.infer<typeof referenceClaimSchema>;

const referenceFileSchema = z.strictObject({
  about: z.string(),
  published_method: z.string(),
  runs: z.record(z.string(), z.strictObject({ title: z.string(), published: z.number().min(0).max(1).nullable(), history: z.string() })),
  claims: z.array(referenceClaimSchema),
});

export interface ReferenceRun {
  id: string;
  title: string;
  /** The accuracy its write-up published (a bootstrap over a sample mostly of training images); null where it gave none. */
  published: number | null;
  /** Its best held-out validation accuracy (0–1) and the epoch it came at, from its history. */
  bestVal: { accuracy: number; epoch: number };
}

export interface ReferenceData {
  publishedMethod: string;
  runs: Map<string, ReferenceRun>;
  claims: ReferenceClaim[];
}

/** The best `val_acc` of an `epoch,train_loss,val_loss,val_acc` history (percent), as a fraction. */
export function bestValidation(file: string): { accuracy: number; epoch: number } {
  const rows = parseCsv(fs.readFileSync(file, 'utf8')).filter((r) => r.length > 1);
  const header = rows[0] ?? [];
  const [ie, ia] = [header.indexOf('epoch'), header.indexOf('val_acc')];
  if (ie < 0 || ia < 0) throw new TimError(`${file}: expected columns epoch and val_acc`);
  let best: { accuracy: number; epoch: number } | undefined;
  for (const r of rows.slice(1)) {
    const epoch = Number(r[ie]);
    const acc = Number(r[ia]) / 100;
    if (Number.isFinite(acc) && (!best || acc > best.accuracy)) best = { accuracy: acc, epoch };
  }
  if (!best) throw new TimError(`${file}: no epochs`);
  return best;
}

export function loadReference(dir = REFERENCE_DIR): ReferenceData {
  const file = path.join(dir, 'reference.json');
  const reference = readJsonFile(file, referenceFileSchema);
  const runs = new Map<string, ReferenceRun>();
  for (const [id, r] of Object.entries(reference.runs)) {
    runs.set(id, { id, title: r.title, published: r.published, bestVal: bestValidation(path.join(dir, r.history)) });
  }
  for (const c of reference.claims) {
    for (const id of [c.a, c.b]) if (!runs.has(id)) throw new TimError(`${file}: claim '${c.text}' names run '${id}', which is not in 'runs'`);
  }
  return { publishedMethod: reference.published_method, runs, claims: reference.claims };
}

/** A claim of the reference, tested on Tim's runs of the same two experiments. */
export interface TestedClaim {
  claim: ReferenceClaim;
  /** The sweep runs standing for the claim's two reference runs, when both finished. */
  a?: string;
  b?: string;
  comparison?: PairComparison;
  /** Why it could not be tested (a run missing or unfinished). */
  note?: string;
}

/**
 * Tests each claim on the finished sweep runs that reproduce its two reference runs (with the
 * same values of any other grid key), all claims together so that Holm's correction runs over
 * them. Claims whose runs are missing say so.
 */
export function testClaims(reference: ReferenceData, manifest: SweepManifest | undefined, rows: readonly SweepRow[], opts: { resamples?: number; seed?: number } = {}): { claims: TestedClaim[]; comparison?: PairwiseComparison } {
  const refOf = new Map((manifest?.runs ?? []).map((r) => [r.name, r.reference]));
  const rest = (r: SweepRow): string => JSON.stringify(Object.entries(r.values).filter(([k]) => k !== LISTED_RUN_KEY).sort());
  const involved: SweepRow[] = [];
  const indexOf = (r: SweepRow): number => {
    const i = involved.indexOf(r);
    return i >= 0 ? i : involved.push(r) - 1;
  };
  const planned = reference.claims.map((claim) => {
    const as = rows.filter((r) => refOf.get(r.run.name) === claim.a);
    const found = as.map((a) => ({ a, b: rows.find((r) => refOf.get(r.run.name) === claim.b && rest(r) === rest(a)) })).find((x) => x.b);
    if (!found?.b) {
      const missing = [claim.a, claim.b].filter((id) => !rows.some((r) => refOf.get(r.run.name) === id));
      return { claim, note: `not tested: no finished run of ${missing.join(' and ') || 'both with the same other settings'} in this sweep` };
    }
    return { claim, a: found.a, b: found.b };
  });
  const withPair = planned.filter((p): p is { claim: ReferenceClaim; a: SweepRow; b: SweepRow } => 'a' in p && p.a !== undefined);
  const pairs = withPair.map((p) => [indexOf(p.a), indexOf(p.b)] as [number, number]);
  const missingPredictions = involved.filter((r) => !fs.existsSync(path.join(r.run.dir, RUN_FILES.predictions)));
  if (missingPredictions.length > 0) {
    return { claims: planned.map((p) => ({ claim: p.claim, note: 'note' in p ? p.note : `not tested: no ${RUN_FILES.predictions} in ${missingPredictions.map((r) => r.run.name).join(', ')} (evaluate again)` })) };
  }
  const cmp = pairs.length ? compareRunDirs(involved.map((r) => ({ label: r.run.name, dir: r.run.dir })), { ...opts, pairs }) : undefined;
  let k = 0;
  const claims = planned.map((p) => ('note' in p ? { claim: p.claim, note: p.note } : { claim: p.claim, a: p.a.run.name, b: p.b.run.name, comparison: cmp?.pairs[k++] }));
  return { claims, comparison: cmp };
}
