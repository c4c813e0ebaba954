import { notYet } from './stubs';

export const demoCommand = notYet('demo', 'interactive demo page');
