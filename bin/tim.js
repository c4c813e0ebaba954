#!/usr/bin/env node
// Runs the TypeScript sources directly, so the CLI never lags behind an un-rebuilt dist/.
require('tsx/cjs');
require('../src/cli/main.ts');
