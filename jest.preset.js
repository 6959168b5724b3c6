// Shared by the unit and the integration runs: TypeScript through ts-jest (type checking is done
// once by `tsc --noEmit` in the test command), workspace aliases mapped to the libs' sources.
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: { '^@tongban/([a-z-]+)$': '<rootDir>/libs/$1/src/index.ts' },
};
