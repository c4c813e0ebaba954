/**
 * Two suites: `unit` (npm test, kept under 10 minutes on 2 cores) and `heavy` (full-size
 * models and reference parity; npm run test:heavy). CI runs both.
 */
const transform = { '^.+\\.tsx?$': ['@swc/jest'] };
const common = {
  testEnvironment: 'node',
  transform,
  moduleFileExtensions: ['ts', 'js', 'json'],
  setupFiles: ['<rootDir>/test/support/setup.ts'],
};
module.exports = {
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    { ...common, displayName: 'heavy', testMatch: ['<rootDir>/test/heavy/**/*.test.ts'] },
    { ...common, displayName: 'browser', testMatch: ['<rootDir>/test/browser/**/*.test.ts'] },
  ],
};
