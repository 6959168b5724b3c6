import { createHash } from 'node:crypto';
import { merkleLeafHash, merkleNodeHash, merkleProof, merkleRoot, verifyMerkleProof } from './merkle';

const leaves = (n: number) => Array.from({ length: n }, (_, i) => merkleLeafHash(`{"record":${i}}`));
const sha = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest('hex');
const hex = (h: string) => Buffer.from(h, 'hex');

/** RFC 6962's recursive definition (split at the largest power of two below n), written independently. */
function rfc6962(ls: string[]): string {
  if (ls.length === 1) return ls[0];
  let k = 1;
  while (k * 2 < ls.length) k *= 2;
  return sha(Buffer.from([1]), hex(rfc6962(ls.slice(0, k))), hex(rfc6962(ls.slice(k))));
}

describe('Merkle tree of a record group', () => {
  it('hashes a leaf as SHA-256(0x00 ‖ text) and a node as SHA-256(0x01 ‖ left ‖ right)', () => {
    expect(merkleLeafHash('{}')).toBe(sha(Buffer.from([0]), Buffer.from('{}')));
    const [a, b] = leaves(2);
    expect(merkleNodeHash(a, b)).toBe(sha(Buffer.from([1]), hex(a), hex(b)));
    // Domain separation: the node over two leaves is not the leaf hash of their concatenation.
    expect(merkleNodeHash(a, b)).not.toBe(sha(Buffer.from([0]), hex(a), hex(b)));
  });

  const N = (a: string, b: string) => merkleNodeHash(a, b);
  it.each([
    [1, (l: string[]) => l[0]],
    [2, (l: string[]) => N(l[0], l[1])],
    [3, (l: string[]) => N(N(l[0], l[1]), l[2])],
    [4, (l: string[]) => N(N(l[0], l[1]), N(l[2], l[3]))],
    [5, (l: string[]) => N(N(N(l[0], l[1]), N(l[2], l[3])), l[4])],
    [7, (l: string[]) => N(N(N(l[0], l[1]), N(l[2], l[3])), N(N(l[4], l[5]), l[6]))],
    [8, (l: string[]) => N(N(N(l[0], l[1]), N(l[2], l[3])), N(N(l[4], l[5]), N(l[6], l[7])))],
  ])('%i leaves: the root is the tree written out, odd nodes promoted', (n, expected) => {
    const l = leaves(n);
    expect(merkleRoot(l)).toBe(expected(l));
    expect(merkleRoot(l)).toBe(rfc6962(l));
  });

  it('agrees with RFC 6962 for every size up to 40', () => {
    for (let n = 1; n <= 40; n++) expect(merkleRoot(leaves(n))).toBe(rfc6962(leaves(n)));
  });

  it.each([1, 2, 3, 4, 5, 7, 8])('%i leaves: altering any one leaf changes the root', (n) => {
    const l = leaves(n);
    const root = merkleRoot(l);
    for (let i = 0; i < n; i++) {
      const tampered = [...l];
      tampered[i] = merkleLeafHash(`{"record":${i},"altered":true}`);
      expect(merkleRoot(tampered)).not.toBe(root);
    }
  });

  it('does not give the root of n leaves to n+1 leaves with the last one repeated', () => {
    for (const n of [1, 3, 5, 7]) {
      const l = leaves(n);
      expect(merkleRoot([...l, l[n - 1]])).not.toBe(merkleRoot(l));
    }
  });

  it.each([1, 2, 3, 4, 5, 7, 8])('%i leaves: the proof of every leaf verifies, and only at its own position', (n) => {
    const l = leaves(n);
    const root = merkleRoot(l);
    for (let i = 0; i < n; i++) {
      const path = merkleProof(l, i);
      expect(path.length).toBeLessThanOrEqual(Math.ceil(Math.log2(n)));
      expect(verifyMerkleProof(l[i], i, n, path, root)).toBe(true);
      if (n > 1) expect(verifyMerkleProof(l[i], (i + 1) % n, n, path, root)).toBe(false);
    }
  });

  it.each([2, 3, 4, 5, 7, 8])('%i leaves: a wrong sibling, a missing or extra one, another leaf or another root fail', (n) => {
    const l = leaves(n);
    const root = merkleRoot(l);
    const other = merkleLeafHash('{"someone":"else"}');
    for (let i = 0; i < n; i++) {
      const path = merkleProof(l, i);
      for (let s = 0; s < path.length; s++) {
        const wrong = [...path];
        wrong[s] = other;
        expect(verifyMerkleProof(l[i], i, n, wrong, root)).toBe(false);
      }
      expect(verifyMerkleProof(l[i], i, n, path.slice(1), root)).toBe(false);
      expect(verifyMerkleProof(l[i], i, n, [...path, other], root)).toBe(false);
      expect(verifyMerkleProof(other, i, n, path, root)).toBe(false);
      expect(verifyMerkleProof(l[i], i, n, path, other)).toBe(false);
    }
  });

  it('refuses an empty tree, a bad leaf and a position outside the tree', () => {
    expect(() => merkleRoot([])).toThrow(RangeError);
    expect(() => merkleRoot(['not-a-hash'])).toThrow(RangeError);
    expect(() => merkleProof(leaves(3), 3)).toThrow(RangeError);
    expect(verifyMerkleProof(leaves(1)[0], 0, 0, [], leaves(1)[0])).toBe(false);
    expect(verifyMerkleProof(leaves(1)[0], 0, 1, [], leaves(1)[0])).toBe(true);
  });
});
