#!/usr/bin/env node
// Builds the installable tarballs of the tools meant to run outside a checkout:
//   node tools/packaging/pack.js [cli] [partner-client] → dist/packages/<name>-<version>.tgz
// Each package holds compiled JavaScript only (no TypeScript at run time).
const { execFileSync } = require('node:child_process');
const { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..', '..');
const out = join(root, 'dist', 'packages');
const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
const tsc = require.resolve('typescript/bin/tsc', { paths: [root] });

const rootPackage = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const pinned = (...names) => Object.fromEntries(names.map((n) => [n, rootPackage.dependencies[n]]));

const PACKAGES = {
  cli() {
    const stage = join(out, 'stage', 'tongban-cli');
    rmSync(stage, { recursive: true, force: true });
    mkdirSync(join(stage, 'bin'), { recursive: true });
    execFileSync(process.execPath, [tsc, '-p', join(root, 'tools/cli/tsconfig.json'), '--outDir', join(stage, 'lib')], { stdio: 'inherit' });
    writeFileSync(
      join(stage, 'bin', 'tongban.js'),
      ['#!/usr/bin/env node', "require('../lib/tongban-cli.js').main();", ''].join('\n'),
      { mode: 0o755 },
    );
    cpSync(join(root, 'tools/cli/README.md'), join(stage, 'README.md'));
    writeFileSync(
      join(stage, 'package.json'),
      JSON.stringify(
        {
          name: 'tongban-cli',
          version,
          description: 'Operators’ command line of tongban: dead letters, replays and the audit log, over the ops API',
          license: 'UNLICENSED',
          bin: { tongban: 'bin/tongban.js' },
          files: ['bin', 'lib', 'README.md'],
          engines: { node: '>=20.19' },
        },
        null,
        2,
      ) + '\n',
    );
    return stage;
  },
  'partner-client'() {
    const stage = join(out, 'stage', 'tongban-partner-client');
    rmSync(stage, { recursive: true, force: true });
    mkdirSync(stage, { recursive: true });
    // One file of plain JavaScript: the libs it uses are bundled in, kafkajs and avsc stay dependencies.
    require('esbuild').buildSync({
      entryPoints: [join(root, 'libs/partner-client/src/index.ts')],
      outfile: join(stage, 'lib', 'index.js'),
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      external: ['kafkajs', 'avsc'],
      tsconfig: join(root, 'tsconfig.base.json'),
      logLevel: 'warning',
    });
    // The reader schemas the inbox consumer resolves writers to, found beside the package's package.json.
    cpSync(join(root, 'contracts', 'avro'), join(stage, 'contracts', 'avro'), { recursive: true });
    cpSync(join(root, 'libs/partner-client/README.md'), join(stage, 'README.md'));
    writeFileSync(
      join(stage, 'package.json'),
      JSON.stringify(
        {
          name: 'tongban-partner-client',
          version,
          description: 'Receive tongban transfers: a webhook verifier and receiver, and an inbox consumer for direct Kafka reading',
          license: 'UNLICENSED',
          main: 'lib/index.js',
          files: ['lib', 'contracts', 'README.md'],
          engines: { node: '>=20.19' },
          dependencies: pinned('kafkajs', 'avsc'),
        },
        null,
        2,
      ) + '\n',
    );
    return stage;
  },
};

const wanted = process.argv.slice(2);
for (const name of wanted.length ? wanted : Object.keys(PACKAGES)) {
  if (!PACKAGES[name]) {
    process.stderr.write(`pack: no package named ${name} (known: ${Object.keys(PACKAGES).join(', ')})\n`);
    process.exit(2);
  }
  const stage = PACKAGES[name]();
  const file = execFileSync('npm', ['pack', '--silent', '--pack-destination', out], { cwd: stage, encoding: 'utf8' }).trim().split('\n').pop();
  process.stdout.write(`${join(out, file)}\n`);
}
