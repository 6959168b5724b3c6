import { TongbanError } from '@tongban/errors';
import { localSecret } from './local-secrets';

/** The one profile in which documented development keys and generated secrets come into force. */
export const DEVELOPMENT_PROFILE = 'development';

export class ConfigError extends TongbanError {
  constructor(readonly problems: string[]) {
    super('CONFIG.INVALID', `invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

type Env = Record<string, string | undefined>;

/**
 * Reads typed values from the environment, collecting every bad variable so that one start-up
 * names all of them at once. Call `done()` after the last read: it throws when anything was wrong.
 */
export class EnvReader {
  private readonly problems: string[] = [];
  /** `TONGBAN_PROFILE`; anything but `development` (unset included) is treated as production. */
  readonly profile: string;

  constructor(private readonly env: Env = process.env) {
    this.profile = env.TONGBAN_PROFILE || 'production';
  }

  get development(): boolean {
    return this.profile === DEVELOPMENT_PROFILE;
  }

  /**
   * A secret: the variable when set (an empty value stays empty and is refused unless `allowEmpty`);
   * when unset, the development profile takes `dev` (a documented value, or `{ generate: name }` for
   * one generated into the local secrets folder) and any other profile records the variable as missing.
   */
  secret(name: string, dev: string | { generate: string }, o: { allowEmpty?: boolean; minLength?: number } = {}): string {
    const raw = this.env[name];
    if (raw === undefined) {
      if (!this.development) {
        this.problems.push(
          `${name} is required: the ${this.profile} profile takes no development secret (set it, or TONGBAN_PROFILE=development for a local run)`,
        );
        return '';
      }
      return typeof dev === 'string' ? dev : localSecret(dev.generate);
    }
    if (raw === '' && !o.allowEmpty) {
      this.problems.push(`${name} is set but empty`);
      return '';
    }
    if (raw !== '' && o.minLength && Buffer.byteLength(raw) < o.minLength) this.problems.push(`${name} must be at least ${o.minLength} bytes`);
    return raw;
  }

  /** A secret only the development profile may leave unset, and then without a value (`undefined`). */
  devOptionalSecret(name: string): string | undefined {
    const raw = this.env[name];
    if (raw === undefined && this.development) return undefined;
    return this.secret(name, '');
  }

  str(name: string, fallback?: string): string {
    const raw = this.env[name];
    if (raw !== undefined && raw !== '') return raw;
    if (fallback !== undefined) return fallback;
    this.problems.push(`${name} is required`);
    return '';
  }

  optional(name: string): string | undefined {
    const raw = this.env[name];
    return raw === undefined || raw === '' ? undefined : raw;
  }

  int(name: string, fallback: number, range: { min?: number; max?: number } = {}): number {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = range;
    if (!/^-?\d+$/.test(raw.trim()) || value < min || value > max) {
      this.problems.push(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return value;
  }

  port(name: string, fallback: number): number {
    return this.int(name, fallback, { min: 0, max: 65535 });
  }

  bool(name: string, fallback: boolean): boolean {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    this.problems.push(`${name} must be true or false, got "${raw}"`);
    return fallback;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    if ((allowed as readonly string[]).includes(raw)) return raw as T;
    this.problems.push(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
    return fallback;
  }

  list(name: string, fallback: string[]): string[] {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    return raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  }

  /** `a=b,c=d` pairs; `parse` validates each pair and returns `{ value }` or `{ problem }`. */
  pairs<V>(name: string, fallback: string, parse: (key: string, value: string) => { value: V } | { problem: string }): Map<string, V> {
    const out = new Map<string, V>();
    const raw = this.env[name] || fallback;
    for (const item of raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      const eq = item.indexOf('=');
      if (eq <= 0) {
        this.problems.push(`${name} must be comma-separated key=value pairs, got "${item}"`);
        continue;
      }
      const result = parse(item.slice(0, eq).trim(), item.slice(eq + 1).trim());
      if ('problem' in result) this.problems.push(`${name}: ${result.problem}`);
      else out.set(item.slice(0, eq).trim(), result.value);
    }
    return out;
  }

  /** Records a problem found by a cross-field check. */
  fail(problem: string): void {
    this.problems.push(problem);
  }

  done(): void {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
  }
}
