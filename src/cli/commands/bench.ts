import { notYet } from './stubs';

export const benchCommand = notYet('bench', 'benchmarks');
