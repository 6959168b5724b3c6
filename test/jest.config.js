const preset = require('../jest.preset');

/** Tests across services, against the real Kafka, MariaDB and Redis. */
module.exports = {
  ...preset,
  rootDir: require('path').join(__dirname, '..'),
  displayName: 'integration',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testTimeout: 120000,
  maxWorkers: 1,
};
