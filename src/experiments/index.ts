export { loadSweepSpec, parseSweepSpec, expandSweep, runNameOf, type SweepSpec, type SweepRun, type GridAxis, type GridValue } from './sweep-spec';
export { parseShard, shardFromEnv, selectShard, type Shard } from './shard';
export { defaultRunSteps, type RunSteps } from './steps';
export { runSweep, planSweep, sweepOutDir, runStatus, type SweepOptions, type SweepResult, type PlannedRun, type RunStatus } from './sweep';
export { writeSweepSummary, finishedSweepRows, readManifest, type SweepManifest } from './summary';
export { readRunData, listRunDirs, isFinishedRun, isTrainedRun, type RunData } from './run-data';
