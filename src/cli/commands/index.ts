import type { CommandModule } from 'yargs';
import { doctorCommand } from './doctor';
import { notYet } from './stubs';

/** Every CLI command, in the order `tim --help` lists them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const COMMANDS: CommandModule<any, any>[] = [
  notYet('train', 'fine-tune a model from a config'),
  notYet('evaluate', 'evaluate a run on its held-out split'),
  notYet('explain', 'Grad-CAM explanations for images'),
  notYet('predict', 'top-3 artists for images'),
  notYet('sweep', 'run a grid of configs'),
  notYet('report', 'HTML reports from run folders'),
  notYet('demo', 'interactive demo page'),
  notYet('weights', 'import and inspect pretrained weights'),
  notYet('model', 'model structure summaries'),
  notYet('data', 'data sets: synth, inspect, prepare, preview'),
  notYet('bench', 'benchmarks'),
  doctorCommand,
  notYet('quickstart', 'train and evaluate on the built-in sample data'),
];
