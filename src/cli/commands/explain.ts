import { notYet } from './stubs';

export const explainCommand = notYet('explain', 'Grad-CAM explanations for images');
