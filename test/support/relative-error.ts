export { relativeError } from '../../packages/tfjs-training/test/support/relative-error';
