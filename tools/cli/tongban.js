#!/usr/bin/env node
// Launcher of the `tongban` command (npx tongban …): runs the compiled CLI from dist/, compiling
// tools/cli first when the compiled file is missing or older than its source.
const { existsSync, statSync } = require('node:fs');
const { join } = require('node:path');
const { execFileSync } = require('node:child_process');

const root = join(__dirname, '..', '..');
const source = join(__dirname, 'tongban-cli.ts');
const compiled = join(root, 'dist', 'tools', 'cli', 'tongban-cli.js');

if (!existsSync(compiled) || (existsSync(source) && statSync(source).mtimeMs > statSync(compiled).mtimeMs)) {
  try {
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc', { paths: [root] }), '-p', join(__dirname, 'tsconfig.json')], { stdio: 'inherit' });
  } catch {
    process.stderr.write('tongban: could not compile tools/cli\n');
    process.exit(1);
  }
}

require(compiled).main();
