import { notYet } from './stubs';

export const evaluateCommand = notYet('evaluate', 'evaluate a run on its held-out split');
