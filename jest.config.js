const preset = require('./jest.preset');

/** Unit tests: beside the code, no network. */
module.exports = {
  ...preset,
  rootDir: __dirname,
  displayName: 'unit',
  roots: ['<rootDir>/libs', '<rootDir>/services', '<rootDir>/tools'],
  testMatch: ['**/*.spec.ts'],
};
