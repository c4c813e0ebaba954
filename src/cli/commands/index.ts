import type { CommandModule } from 'yargs';
import { trainCommand } from './train';
import { evaluateCommand } from './evaluate';
import { explainCommand } from './explain';
import { predictCommand } from './predict';
import { sweepCommand } from './sweep';
import { reportCommand } from './report';
import { demoCommand } from './demo';
import { weightsCommand } from './weights';
import { exportCommand } from './export';
import { modelCommand } from './model';
import { dataCommand } from './data';
import { benchCommand } from './bench';
import { doctorCommand } from './doctor';
import { quickstartCommand } from './quickstart';
import { averageCommand } from './average';
import { lrFindCommand } from './lr-find';

/** Every CLI command, in the order `tim --help` lists them; each lives in its own file. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const COMMANDS: CommandModule<any, any>[] = [
  trainCommand,
  lrFindCommand,
  evaluateCommand,
  averageCommand,
  explainCommand,
  predictCommand,
  sweepCommand,
  reportCommand,
  demoCommand,
  weightsCommand,
  exportCommand,
  modelCommand,
  dataCommand,
  benchCommand,
  doctorCommand,
  quickstartCommand,
];
