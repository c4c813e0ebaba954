import { notYet } from './stubs';

export const modelCommand = notYet('model', 'model structure summaries');
