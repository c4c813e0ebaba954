import { notYet } from './stubs';

export const dataCommand = notYet('data', 'data sets: synth, inspect, prepare, preview');
