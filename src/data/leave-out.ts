import { TimError } from '../core/errors';
import { nearest } from '../core/suggest';
import type { DatasetIndex, DatasetItem } from './types';

/**
 * Leave-artists-out: the index without the named classes (training never sees them), and their
 * images, labelled by position in `unknownClasses`, for measuring unknown-artist detection.
 */
export function leaveClassesOut(index: DatasetIndex, unknownClasses: readonly string[]): { known: DatasetIndex; unknown: DatasetItem[] } {
  if (unknownClasses.length === 0) return { known: index, unknown: [] };
  const missing = unknownClasses.filter((c) => !index.classes.includes(c));
  if (missing.length) {
    const named = missing.map((c) => {
      const near = nearest(c, index.classes);
      return near === undefined ? `'${c}'` : `'${c}' (did you mean '${near}'?)`;
    });
    throw new TimError(`data.unknown_classes: ${named.join(', ')} not among the class folders of ${index.root}`);
  }
  const classes = index.classes.filter((c) => !unknownClasses.includes(c));
  if (classes.length < 2) throw new TimError(`data.unknown_classes: leaving out ${unknownClasses.length} of ${index.classes.length} classes leaves fewer than 2 to train on`);
  const newLabel = index.classes.map((c) => classes.indexOf(c));
  const items: DatasetItem[] = [];
  const unknown: DatasetItem[] = [];
  for (const it of index.items) {
    const name = index.classes[it.label] as string;
    const k = newLabel[it.label] as number;
    if (k >= 0) items.push({ path: it.path, label: k });
    else unknown.push({ path: it.path, label: unknownClasses.indexOf(name) });
  }
  return { known: { ...index, classes, items }, unknown };
}
