/** A head of one of this province's chains that the other province acknowledged it witnessed. */
export interface WitnessReceipt {
  database: string;
  chain: string;
  length: number;
  headHash: string;
  /** When the witness first received the head (ISO-8601), as it says. */
  witnessedAt: string | null;
}

export const WITNESS_STATUSES = ['ok', 'truncated', 'rewritten', 'unwitnessed', 'unreachable'] as const;
export type WitnessStatus = (typeof WITNESS_STATUSES)[number];

export interface ChainWitness {
  database: string;
  chain: string;
  status: WitnessStatus;
  /** Entries the chain holds now. */
  length: number | null;
  /** The longest head the witness holds of the chain, and when it saw it. */
  witnessedLength: number | null;
  witnessedAt: string | null;
  /** Witnessed heads compared with the chain. */
  checked: number;
  /** Truncated: the first entry missing; rewritten: the witnessed position found different. */
  brokenAt?: number;
  message?: string;
}

/**
 * Compares a chain with the heads the other province witnessed of it. A witnessed head (length L, hash H)
 * holds when the chain still has an entry L and that entry's hash is H: since each hash covers every entry
 * before it, one head that holds vouches for the whole chain up to L, and one that fails shows the chain lost
 * entries (shorter than L) or had one of its first L entries replaced, however consistent it is in itself.
 * The lowest failing head is reported, with the highest one below it that holds: the change lies between.
 */
export function judgeChain(
  database: string,
  chain: string,
  receipts: WitnessReceipt[],
  current: { length: number; hashes: Map<number, string> },
  witness: string,
): ChainWitness {
  const heads = receipts.filter((r) => r.length > 0).sort((a, b) => a.length - b.length);
  const longest = heads[heads.length - 1];
  const base = {
    database,
    chain,
    length: current.length,
    witnessedLength: longest?.length ?? null,
    witnessedAt: longest?.witnessedAt ?? null,
    checked: heads.length,
  };
  if (!longest) return { ...base, status: 'unwitnessed' };
  let holding: WitnessReceipt | undefined;
  for (const head of heads) {
    const when = head.witnessedAt ? ` on ${head.witnessedAt}` : '';
    if (head.length > current.length) {
      return {
        ...base,
        status: 'truncated',
        brokenAt: current.length + 1,
        message:
          `${database}.${chain} has ${current.length} entries, but province ${witness} witnessed it with ${head.length}${when}: ` +
          `entries ${current.length + 1} to ${head.length} were removed`,
      };
    }
    if (current.hashes.get(head.length) !== head.headHash) {
      const from = (holding?.length ?? 0) + 1;
      return {
        ...base,
        status: 'rewritten',
        brokenAt: head.length,
        message:
          `entry ${head.length} of ${database}.${chain} is not the one province ${witness} witnessed${when}: ` +
          `an entry between ${from} and ${head.length} was changed or replaced and the chain re-hashed`,
      };
    }
    holding = head;
  }
  return { ...base, status: 'ok' };
}
