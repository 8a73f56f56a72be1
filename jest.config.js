// Test tiers are chosen by file suffix (see STYLE.md §11):
//   *.unit.spec.ts  pure logic, no I/O
//   *.int.spec.ts   real NATS and Postgres (from libs/testing)
//   *.e2e.spec.ts   the running stack, under e2e/
const fs = require('node:fs');
const path = require('node:path');

const swc = JSON.parse(fs.readFileSync(path.join(__dirname, '.swcrc'), 'utf8'));
delete swc.$schema;

const moduleNameMapper = {};
for (const lib of fs.readdirSync(path.join(__dirname, 'libs'))) {
  moduleNameMapper[`^@baton/${lib}$`] = `<rootDir>/libs/${lib}/src/index.ts`;
}
// Tools that other workspaces import, mapped to their sources like the libraries.
moduleNameMapper['^@baton/mcp-files$'] = '<rootDir>/tools/mcp-files/src/index.ts';

const common = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest', swc] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper,
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/fixtures/'],
};

module.exports = {
  // JEST_VERBOSE=1 lists every test by name (the test command does this for int and e2e).
  verbose: process.env.JEST_VERBOSE === '1',
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/**/*.unit.spec.ts'] },
    {
      ...common,
      displayName: 'int',
      testMatch: ['<rootDir>/{libs,services,tools}/**/*.int.spec.ts'],
      globalSetup: '<rootDir>/libs/testing/src/global-setup.ts',
      setupFilesAfterEnv: ['<rootDir>/libs/testing/src/jest-timeouts.ts'],
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/e2e/**/*.e2e.spec.ts'],
      globalSetup: '<rootDir>/libs/testing/src/global-setup.ts',
      setupFilesAfterEnv: ['<rootDir>/libs/testing/src/jest-timeouts.ts'],
    },
  ],
};
