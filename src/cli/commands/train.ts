import { notYet } from './stubs';

export const trainCommand = notYet('train', 'fine-tune a model from a config');
