import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import type { AuditLog } from '@tongban/audit';
import { covers } from '@tongban/regions';
import { SecretBox } from './secret-box';

export interface Subscription {
  subscriptionId: string;
  keyId: string;
  systemName: string;
  region: string;
  url: string;
  /** Event types delivered; `*` for all. */
  eventTypes: string[];
  createdAt: string;
}

interface Row {
  subscription_id: string;
  key_id: string;
  system_name: string;
  region: string;
  url: string;
  event_types: string;
  secret_enc: string;
  created_at: Date;
}

const view = (r: Row): Subscription => ({
  subscriptionId: r.subscription_id,
  keyId: r.key_id,
  systemName: r.system_name,
  region: r.region,
  url: r.url,
  eventTypes: JSON.parse(r.event_types) as string[],
  createdAt: new Date(r.created_at).toISOString(),
});

/** Webhook subscriptions in the delivery database; active ones are cached for the inbox consumer. */
export class SubscriptionRepository {
  private cache: { at: number; rows: Row[] } | undefined;

  constructor(
    private readonly ds: DataSource,
    private readonly box: SecretBox,
    private readonly cacheMs = 1000,
    /** The delivery's disclosures chain: who may receive what is recorded with each change. */
    private readonly audit?: AuditLog,
  ) {}

  async create(s: Omit<Subscription, 'subscriptionId' | 'createdAt'>): Promise<{ subscription: Subscription; secret: string }> {
    const subscriptionId = randomUUID();
    // The Standard Webhooks form (base64 after whsec_), which stock verifiers decode as it is.
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    await this.ds.transaction(async (m) => {
      await m.query(
        `INSERT INTO subscriptions (subscription_id, key_id, system_name, region, url, event_types, secret_enc, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(3))`,
        [subscriptionId, s.keyId, s.systemName, s.region, s.url, JSON.stringify(s.eventTypes), this.box.seal(secret)],
      );
      await this.record(m, 'subscription.created', { subscriptionId, ...s });
    });
    this.cache = undefined;
    return { subscription: (await this.get(subscriptionId)) as Subscription, secret };
  }

  async get(subscriptionId: string): Promise<Subscription | undefined> {
    const rows: Row[] = await this.ds.query('SELECT * FROM subscriptions WHERE subscription_id = ? AND deleted_at IS NULL', [subscriptionId]);
    return rows[0] ? view(rows[0]) : undefined;
  }

  async secretOf(subscriptionId: string): Promise<string | undefined> {
    const rows: Row[] = await this.ds.query('SELECT secret_enc FROM subscriptions WHERE subscription_id = ? AND deleted_at IS NULL', [subscriptionId]);
    return rows[0] ? this.box.open(rows[0].secret_enc) : undefined;
  }

  async listBySystem(systemName: string): Promise<Subscription[]> {
    const rows: Row[] = await this.ds.query('SELECT * FROM subscriptions WHERE system_name = ? AND deleted_at IS NULL ORDER BY created_at', [systemName]);
    return rows.map(view);
  }

  async remove(subscriptionId: string): Promise<void> {
    await this.ds.transaction(async (m) => {
      const [row]: Row[] = await m.query('SELECT * FROM subscriptions WHERE subscription_id = ? AND deleted_at IS NULL FOR UPDATE', [subscriptionId]);
      if (!row) return;
      await m.query('UPDATE subscriptions SET deleted_at = UTC_TIMESTAMP(3) WHERE subscription_id = ?', [subscriptionId]);
      const { createdAt: _c, ...s } = view(row);
      await this.record(m, 'subscription.deleted', s);
    });
    this.cache = undefined;
  }

  private async record(m: EntityManager, action: string, s: Omit<Subscription, 'createdAt'>): Promise<void> {
    await this.audit?.append(m, {
      actor: `partner:${s.systemName}:${s.keyId}`,
      actorKind: 'service',
      action,
      subject: { regions: [s.region] },
      details: {
        subscriptionId: s.subscriptionId,
        keyId: s.keyId,
        systemName: s.systemName,
        region: s.region,
        urlHost: hostOf(s.url),
        eventTypes: s.eventTypes,
      },
    });
  }

  /** Active subscriptions whose region covers the addressed region and that want this event type. */
  async matching(targetRegion: string, eventType: string): Promise<Subscription[]> {
    if (!this.cache || Date.now() - this.cache.at > this.cacheMs) {
      this.cache = { at: Date.now(), rows: await this.ds.query('SELECT * FROM subscriptions WHERE deleted_at IS NULL') };
    }
    return this.cache.rows.map(view).filter((s) => covers(s.region, targetRegion) && (s.eventTypes.includes('*') || s.eventTypes.includes(eventType)));
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '';
  }
}
