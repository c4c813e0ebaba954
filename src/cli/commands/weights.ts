import { notYet } from './stubs';

export const weightsCommand = notYet('weights', 'import and inspect pretrained weights');
