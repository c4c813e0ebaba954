import { notYet } from './stubs';

export const sweepCommand = notYet('sweep', 'run a grid of configs');
