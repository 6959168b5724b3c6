import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './repo-paths';

/** Where local runs keep generated secrets (ignored by git); production supplies them by environment. */
export function secretsDir(): string {
  return process.env.TONGBAN_SECRETS_DIR ?? join(repoRoot(), '.tongban', 'secrets');
}

/**
 * A secret for local runs: read from `<secrets dir>/<name>`, generated (32 random bytes, base64url)
 * on first use. The file appears whole and only once, so processes starting together agree on one value.
 * Only the development profile may call this (EnvReader.secret): a generated secret is per host,
 * so replicas on two hosts would disagree.
 */
export function localSecret(name: string): string {
  if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`secret name "${name}" must be lowercase letters, digits and -`);
  const dir = secretsDir();
  const file = join(dir, name);
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Written whole under a name of its own, then linked into place: a process starting at the same moment either
    // finds no file or the whole value, never the empty file an exclusive create shows before its write.
    const draft = `${file}.${process.pid}.${randomBytes(6).toString('hex')}`;
    writeFileSync(draft, `${randomBytes(32).toString('base64url')}\n`, { flag: 'wx', mode: 0o600 });
    try {
      linkSync(draft, file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    } finally {
      unlinkSync(draft);
    }
    return readFileSync(file, 'utf8').trim();
  }
}
