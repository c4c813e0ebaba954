/**
 * The run folder, the sweep folder and the export folder: every file Tim writes into them, each
 * with its name, its zod schema, its type (inferred from the schema), its reader and its writer.
 * Nothing else in `src/` defines these files; everything that reads or writes them comes here.
 */
export * from './names';
export * from './folder';
export { figure, jsonFile, jsonLinesFile, type JsonFile, type JsonFileSpec, type JsonLinesFile } from './json-file';
export * from './preprocess';
export * from './split';
export * from './marker';
export * from './history';
export * from './summary';
export * from './metrics';
export * from './calibration';
export * from './average';
export * from './tables';
export * from './sweep';
export * from './export';
export * from './checkpoint';
export * from './faithfulness';
