import { createHash } from 'node:crypto';
import { judgeChain, WitnessReceipt } from './witness-check';

/** A chain of `n` entries whose hashes follow from `seed`: another seed is the same chain re-hashed from entry `from` on. */
function chain(n: number, rewrittenFrom = Infinity): Map<number, string> {
  const hashes = new Map<number, string>();
  let prev = '0'.repeat(64);
  for (let seq = 1; seq <= n; seq++) {
    prev = createHash('sha256')
      .update(prev)
      .update(seq >= rewrittenFrom ? `changed ${seq}` : `entry ${seq}`)
      .digest('hex');
    hashes.set(seq, prev);
  }
  return hashes;
}

const original = chain(30);
const receipt = (length: number, at = `2026-11-30T00:${String(length).padStart(2, '0')}:00.000Z`): WitnessReceipt => ({
  database: 'tongban_ops',
  chain: 'ops',
  length,
  headHash: original.get(length) ?? '0'.repeat(64),
  witnessedAt: at,
});
const witnessed = [receipt(0), receipt(10), receipt(20), receipt(30)];

describe('a chain judged against the heads the other province witnessed', () => {
  it('holds when every witnessed head is still in the chain, longer or not', () => {
    expect(judgeChain('tongban_ops', 'ops', witnessed, { length: 30, hashes: original }, '500000')).toMatchObject({
      status: 'ok',
      witnessedLength: 30,
      checked: 3,
    });
    const grown = chain(35);
    expect(judgeChain('tongban_ops', 'ops', witnessed, { length: 35, hashes: grown }, '500000').status).toBe('ok');
  });

  it('finds a chain cut below a witnessed length, though the rest is consistent', () => {
    const cut = new Map([...original].filter(([seq]) => seq <= 25));
    const judged = judgeChain('tongban_ops', 'ops', witnessed, { length: 25, hashes: cut }, '500000');
    expect(judged).toMatchObject({ status: 'truncated', length: 25, witnessedLength: 30, brokenAt: 26 });
    expect(judged.message).toBe(
      'tongban_ops.ops has 25 entries, but province 500000 witnessed it with 30 on 2026-11-30T00:30:00.000Z: entries 26 to 30 were removed',
    );
  });

  it('finds an entry rewritten below a witnessed head and says between which witnessed heads it lies', () => {
    const rewritten = chain(30, 14);
    const judged = judgeChain('tongban_ops', 'ops', witnessed, { length: 30, hashes: rewritten }, '500000');
    expect(judged).toMatchObject({ status: 'rewritten', brokenAt: 20 });
    expect(judged.message).toContain('entry 20 of tongban_ops.ops is not the one province 500000 witnessed');
    expect(judged.message).toContain('between 11 and 20');
  });

  it('finds a rewrite even when the rewritten chain was witnessed again since (the older heads still disagree)', () => {
    const rewritten = chain(40, 5);
    const laundered = [...witnessed, { ...receipt(40), headHash: rewritten.get(40)! }];
    expect(judgeChain('tongban_ops', 'ops', laundered, { length: 40, hashes: rewritten }, '500000')).toMatchObject({
      status: 'rewritten',
      witnessedLength: 40,
    });
  });

  it('lists a chain the witness has no head of as unwitnessed, not broken', () => {
    expect(judgeChain('tongban_ops', 'ops', [receipt(0)], { length: 3, hashes: chain(3) }, '500000')).toMatchObject({
      status: 'unwitnessed',
      witnessedLength: null,
    });
  });
});
