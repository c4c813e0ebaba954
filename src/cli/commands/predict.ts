import { notYet } from './stubs';

export const predictCommand = notYet('predict', 'top-3 artists for images');
