import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The checkout's root (where contracts/ lives), found from this file so that source (ts-jest)
 * and compiled output (dist/) both work. TONGBAN_HOME overrides it in a deployment.
 */
export function repoRoot(): string {
  if (process.env.TONGBAN_HOME) return process.env.TONGBAN_HOME;
  let dir = __dirname;
  while (dir !== dirname(dir)) {
    if (existsSync(join(dir, 'contracts')) && existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

export function contractsDir(): string {
  return process.env.TONGBAN_CONTRACTS_DIR ?? join(repoRoot(), 'contracts');
}
