import type { DataSource } from 'typeorm';

/** One API key as stored: never the key itself, only its salted hash. */
export interface ApiKeyRecord {
  keyId: string;
  salt: string;
  keyHash: string;
  /** Division code the key speaks for (an office key: the office's parent division). */
  division: string;
  officeId: string | null;
  systemName: string;
  /** `issued` by an operator, or `bootstrap` from TONGBAN_API_KEYS. */
  origin: 'issued' | 'bootstrap';
  rotatedFrom: string | null;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  /** Per-key rate limit; null means the configured default. */
  ratePerSecond: number | null;
  burst: number | null;
}

/** Where keys live; the gateway implements it on its MySQL database. */
export interface ApiKeyStore {
  find(keyId: string): Promise<ApiKeyRecord | undefined>;
  insert(record: ApiKeyRecord, options?: { ignoreExisting?: boolean }): Promise<boolean>;
  /** Sets expires_at to `at` when the key has no earlier expiry. */
  expireBy(keyId: string, at: Date): Promise<void>;
  revoke(keyId: string, at: Date): Promise<boolean>;
  list(filter?: { systemName?: string }): Promise<ApiKeyRecord[]>;
}

export const API_KEYS_DDL = `CREATE TABLE IF NOT EXISTS api_keys (
  key_id VARCHAR(32) NOT NULL,
  salt CHAR(32) NOT NULL,
  key_hash CHAR(64) NOT NULL,
  division CHAR(6) NOT NULL,
  office_id VARCHAR(32) NULL,
  system_name VARCHAR(200) NOT NULL,
  origin VARCHAR(16) NOT NULL,
  rotated_from VARCHAR(32) NULL,
  created_at DATETIME(3) NOT NULL,
  expires_at DATETIME(3) NULL,
  revoked_at DATETIME(3) NULL,
  rate_per_second INT NULL,
  burst INT NULL,
  PRIMARY KEY (key_id),
  KEY idx_api_keys_system (system_name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`;

interface Row {
  key_id: string;
  salt: string;
  key_hash: string;
  division: string;
  office_id: string | null;
  system_name: string;
  origin: string;
  rotated_from: string | null;
  created_at: Date | string;
  expires_at: Date | string | null;
  revoked_at: Date | string | null;
  rate_per_second: number | string | null;
  burst: number | string | null;
}

const date = (v: Date | string | null): Date | null => (v === null ? null : v instanceof Date ? v : new Date(`${v.replace(' ', 'T')}Z`));
const num = (v: number | string | null): number | null => (v === null ? null : Number(v));

function fromRow(r: Row): ApiKeyRecord {
  return {
    keyId: r.key_id,
    salt: r.salt,
    keyHash: r.key_hash,
    division: r.division,
    officeId: r.office_id,
    systemName: r.system_name,
    origin: r.origin === 'bootstrap' ? 'bootstrap' : 'issued',
    rotatedFrom: r.rotated_from,
    createdAt: date(r.created_at) as Date,
    expiresAt: date(r.expires_at),
    revokedAt: date(r.revoked_at),
    ratePerSecond: num(r.rate_per_second),
    burst: num(r.burst),
  };
}

/** The `api_keys` table of a MySQL database (the gateway's; the delivery service reads the same one). */
export class MysqlApiKeyStore implements ApiKeyStore {
  constructor(private readonly ds: DataSource) {}

  async find(keyId: string): Promise<ApiKeyRecord | undefined> {
    const rows: Row[] = await this.ds.query('SELECT * FROM api_keys WHERE key_id = ?', [keyId]);
    return rows[0] ? fromRow(rows[0]) : undefined;
  }

  async insert(k: ApiKeyRecord, options: { ignoreExisting?: boolean } = {}): Promise<boolean> {
    const result = await this.ds.query(
      `INSERT ${options.ignoreExisting ? 'IGNORE ' : ''}INTO api_keys
        (key_id, salt, key_hash, division, office_id, system_name, origin, rotated_from, created_at, expires_at, revoked_at, rate_per_second, burst)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        k.keyId,
        k.salt,
        k.keyHash,
        k.division,
        k.officeId,
        k.systemName,
        k.origin,
        k.rotatedFrom,
        k.createdAt,
        k.expiresAt,
        k.revokedAt,
        k.ratePerSecond,
        k.burst,
      ],
    );
    return (result as { affectedRows: number }).affectedRows > 0;
  }

  async expireBy(keyId: string, at: Date): Promise<void> {
    await this.ds.query('UPDATE api_keys SET expires_at = ? WHERE key_id = ? AND (expires_at IS NULL OR expires_at > ?)', [at, keyId, at]);
  }

  async revoke(keyId: string, at: Date): Promise<boolean> {
    const result = await this.ds.query('UPDATE api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL', [at, keyId]);
    return (result as { affectedRows: number }).affectedRows > 0;
  }

  async list(filter: { systemName?: string } = {}): Promise<ApiKeyRecord[]> {
    const rows: Row[] = filter.systemName
      ? await this.ds.query('SELECT * FROM api_keys WHERE system_name = ? ORDER BY created_at', [filter.systemName])
      : await this.ds.query('SELECT * FROM api_keys ORDER BY system_name, created_at');
    return rows.map(fromRow);
  }
}
