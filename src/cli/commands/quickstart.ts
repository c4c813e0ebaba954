import { notYet } from './stubs';

export const quickstartCommand = notYet('quickstart', 'train and evaluate on the built-in sample data');
