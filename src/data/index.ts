export * from './types';
export * from './formats';
export * from './geometry';
export { indexDataset, indexDatasetDetailed, listDataset, type IndexOptions, type DetailedIndex, type FileCheck } from './index-dataset';
export * from './split';
export { preprocessSpecOf, prepareImage } from './preprocess';
export * from './tensor';
