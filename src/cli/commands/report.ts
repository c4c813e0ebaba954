import { notYet } from './stubs';

export const reportCommand = notYet('report', 'HTML reports from run folders');
