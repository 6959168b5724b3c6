import type { Consumer, Kafka, Producer } from 'kafkajs';
import { whileTopicsSettle } from '@tongban/kafka';
import { AvroCodec, DecodeFailure } from '@tongban/avro';
import type { AuditChainHeads } from '@tongban/avro';
import type { JsonLogger } from '@tongban/observability';
import { AuditDatabases, entriesIn } from './audit-databases';
import { ChainWitness, judgeChain, WitnessReceipt } from './witness-check';
import { WitnessConflict, WitnessStore } from './witness-store';

export const AUDIT_CHAIN_HEADS = 'cn.tongban.audit.v1.AuditChainHeads';

/** The topic of the witness records addressed to `province`: written in the sending province, mirrored into `province`. */
export const witnessTopic = (namespace: string, province: string) => `${namespace}.${province}.witness`;

export interface WitnessConfig {
  /** The province this ops runs in (its division code). */
  province: string;
  /** The other province: the witness of this one's chains, and the one whose chains this one witnesses. */
  partner: string;
  /** How often the heads are sent (TONGBAN_OPS_WITNESS_INTERVAL_SECONDS); once more on shutdown. */
  intervalMs: number;
}

export interface WitnessReport {
  ok: boolean;
  province: string;
  /** The province whose witnessed heads the chains were checked against. */
  witness: string;
  /** When the witness last acknowledged heads; null if it never did (link down, or the witness not running). */
  lastAcknowledgedAt: string | null;
  chains: ChainWitness[];
  /** What the other province reported of its own chains that contradicts what it reported before (this province as its witness). */
  partnerConflicts: WitnessConflict[];
  firstBroken?: ChainWitness;
}

/**
 * Each province witnesses the other's audit chains. Every interval (and on shutdown) ops sends the heads of
 * every chain it verifies to the other province (REPORTED, on `<ns>.<partner>.witness`, which the partner's
 * MirrorMaker 2 carries over). The partner keeps them, notes any head shorter than one it saw before, and
 * answers with the longest head it holds of each of those chains (WITNESSED, on `<ns>.<province>.witness`).
 * The answer is kept as a receipt; `check()` compares the chains with every receipt, so a chain truncated or
 * rewritten below a witnessed head shows, however consistent it is in itself. Nothing but these records
 * crosses: neither province holds a credential of the other's. The same channel carries the receipts of
 * events that crossed (TransitReceipts, services/ops/src/transit), handed to `others`.
 */
export class AuditWitness {
  private consumer?: Consumer;
  private timer?: NodeJS.Timeout;
  private reporting?: Promise<void>;

  constructor(
    private readonly config: WitnessConfig,
    private readonly namespace: string,
    private readonly kafka: Kafka,
    private readonly producer: Pick<Producer, 'send'>,
    private readonly codec: AvroCodec,
    private readonly store: WitnessStore,
    private readonly databases: AuditDatabases,
    private readonly logger: JsonLogger,
    private readonly groupId: string,
    private readonly onConflict: (c: WitnessConflict) => void = () => undefined,
    /** Other records of the channel (the transit receipts): true when one took the record. */
    private readonly others: (bytes: Buffer | null, ref: string) => Promise<boolean> = async () => false,
  ) {}

  /** The topic this ops reads (records addressed to its province) and the one it writes (addressed to the partner). */
  get topics(): { incoming: string; outgoing: string } {
    return { incoming: witnessTopic(this.namespace, this.config.province), outgoing: witnessTopic(this.namespace, this.config.partner) };
  }

  async start(): Promise<void> {
    this.consumer = this.kafka.consumer({ groupId: this.groupId, allowAutoTopicCreation: false, sessionTimeout: 30000, heartbeatInterval: 3000 });
    await this.consumer.connect();
    const consumer = this.consumer;
    await whileTopicsSettle(() => consumer.subscribe({ topics: [this.topics.incoming], fromBeginning: true }));
    await this.consumer.run({
      autoCommit: true,
      // A database failure throws: kafkajs retries the record and the offset does not move.
      eachMessage: async ({ partition, message }) => this.handle(message.value, `${this.topics.incoming}/${partition}/${message.offset}`),
    });
    this.logger.event('info', 'audit witness started', { ...this.topics, partner: this.config.partner, intervalMs: this.config.intervalMs });
    this.report().catch(() => undefined);
    this.timer = setInterval(() => void this.report().catch(() => undefined), this.config.intervalMs);
    this.timer.unref();
  }

  /** Sends the heads once more (the last ones before the shutdown), then stops reading. */
  async stop(): Promise<void> {
    if (!this.consumer) return;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.report().catch(() => undefined);
    await this.consumer?.disconnect().catch(() => undefined);
    this.consumer = undefined;
  }

  /** Sends the heads of every chain to the partner; one send at a time. */
  report(): Promise<void> {
    this.reporting ??= this.send().finally(() => (this.reporting = undefined));
    return this.reporting;
  }

  private async send(): Promise<void> {
    try {
      const { heads, unreachable } = await this.databases.heads();
      for (const u of unreachable) this.logger.event('warn', 'audit witness: a database could not be read; its chains are not reported', u);
      const record: AuditChainHeads = {
        kind: 'REPORTED',
        owner: this.config.province,
        sender: this.config.province,
        sentAt: new Date().toISOString(),
        heads: heads.map((h) => ({ ...h, witnessedAt: null })),
      };
      await this.publish(record);
      this.logger.event('info', 'audit heads sent to the witness', { to: this.config.partner, chains: heads.length });
    } catch (e) {
      this.logger.event('warn', 'audit heads could not be sent to the witness', { to: this.config.partner, error: (e as Error).message });
      throw e;
    }
  }

  private async publish(record: AuditChainHeads): Promise<void> {
    const value = await this.codec.encodeRecord(AUDIT_CHAIN_HEADS, record);
    await this.producer.send({ topic: this.topics.outgoing, acks: -1, messages: [{ key: record.owner, value }] });
  }

  /** One record of the incoming topic: heads to witness, the partner's receipt of ours, or another record of the channel. */
  async handle(bytes: Buffer | null, ref: string): Promise<void> {
    let record: AuditChainHeads;
    try {
      record = (await this.codec.decodeRecord<AuditChainHeads>(AUDIT_CHAIN_HEADS, bytes)).value;
    } catch (e) {
      if (e instanceof DecodeFailure && e.failure === 'EVENT_TYPE_UNKNOWN' && (await this.others(bytes, ref))) return;
      // Nothing else belongs on this topic and nothing can make it readable later: skip it, say so.
      this.logger.event('warn', 'audit witness: a record was skipped', { ref, error: (e as Error).message });
      return;
    }
    const { partner, province } = this.config;
    if (record.sender !== partner) {
      this.logger.event('warn', 'audit witness: a record from another province than the partner was skipped', { ref, sender: record.sender, partner });
      return;
    }
    if (record.kind === 'REPORTED' && record.owner === partner) {
      const conflicts = await this.store.witness(partner, record.heads, new Date(record.sentAt));
      for (const c of conflicts) {
        this.onConflict(c);
        this.logger.event('warn', 'audit witness: the partner reported a head that contradicts one it reported before', { ...c });
      }
      const held = await this.store.longest(partner, record.heads);
      await this.publish({
        kind: 'WITNESSED',
        owner: partner,
        sender: province,
        sentAt: new Date().toISOString(),
        heads: held.map((h) => ({
          database: h.database,
          chain: h.chain,
          length: h.length,
          headHash: h.headHash,
          headAt: h.headAt,
          witnessedAt: h.witnessedAt,
        })),
      });
      return;
    }
    if (record.kind === 'WITNESSED' && record.owner === province) {
      await this.store.receive(partner, record.heads);
      return;
    }
    this.logger.event('warn', 'audit witness: a record not meant for this province was skipped', { ref, kind: record.kind, owner: record.owner });
  }

  /** The chains compared with every head the partner acknowledged of them. */
  async check(): Promise<WitnessReport> {
    const { partner, province } = this.config;
    const receipts = await this.store.receipts(partner);
    const byChain = new Map<string, typeof receipts>();
    for (const r of receipts) {
      const key = `${r.database}\u0000${r.chain}`;
      byChain.set(key, [...(byChain.get(key) ?? []), r]);
    }
    const { heads } = await this.databases.heads();
    for (const h of heads) if (!byChain.has(`${h.database}\u0000${h.chain}`)) byChain.set(`${h.database}\u0000${h.chain}`, []);
    // One connection per database for all of its chains.
    const byDatabase = new Map<string, Array<[string, typeof receipts]>>();
    for (const [key, list] of [...byChain].sort(([a], [b]) => a.localeCompare(b))) {
      const [database, chain] = key.split('\u0000');
      byDatabase.set(database, [...(byDatabase.get(database) ?? []), [chain, list]]);
    }
    const chains: ChainWitness[] = [];
    for (const [database, list] of byDatabase) {
      try {
        const judged: ChainWitness[] = await this.databases.use(database, async (ds) => {
          const out: ChainWitness[] = [];
          for (const [chain, receiptsOf] of list)
            out.push(
              judgeChain(
                database,
                chain,
                receiptsOf,
                await entriesIn(
                  ds,
                  chain,
                  receiptsOf.map((r) => r.length),
                ),
                partner,
              ),
            );
          return out;
        });
        chains.push(...judged);
      } catch (e) {
        for (const [chain, receiptsOf] of list) {
          const longest = receiptsOf.reduce<WitnessReceipt | undefined>((a, r) => (!a || r.length > a.length ? r : a), undefined);
          chains.push({
            database,
            chain,
            status: 'unreachable',
            length: null,
            witnessedLength: longest?.length ?? null,
            witnessedAt: longest?.witnessedAt ?? null,
            checked: 0,
            message: `database ${database} could not be read: ${(e as Error).message}`,
          });
        }
      }
    }
    // A chain found cut short or rewritten comes first, then one that could not be read; chains never witnessed yet
    // (new ones, or a witness not yet answering) are listed, not failed.
    const firstBroken = chains.find((c) => c.status === 'truncated' || c.status === 'rewritten') ?? chains.find((c) => c.status === 'unreachable');
    return {
      ok: !firstBroken,
      province,
      witness: partner,
      lastAcknowledgedAt: await this.store.lastReceiptAt(partner),
      chains,
      partnerConflicts: await this.store.conflicts(partner),
      ...(firstBroken ? { firstBroken } : {}),
    };
  }
}
