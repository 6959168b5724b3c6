import { createHash } from 'node:crypto';

/**
 * The Merkle tree of a group of audit records (SHA-256, domain-separated):
 *
 *   leaf  = SHA-256(0x00 ‖ canonical JSON of the record, UTF-8)
 *   node  = SHA-256(0x01 ‖ left ‖ right)          (left and right as 32 raw bytes)
 *
 * Leaves are taken in the group's order (the records' insertion order, position 0 first). Each level pairs
 * neighbours from the left; a level with an odd count promotes its last node unchanged to the next level
 * (it is never duplicated, so no two different groups share a root). This is the Merkle Tree Hash of
 * RFC 6962 / RFC 9162. The prefixes keep a leaf from ever passing for an inner node. A group has at least
 * one record; the root of one record is its leaf hash.
 */
const LEAF = Buffer.from([0]);
const NODE = Buffer.from([1]);
const HEX64 = /^[0-9a-f]{64}$/;

export function merkleLeafHash(canonicalText: string): string {
  return createHash('sha256').update(LEAF).update(canonicalText, 'utf8').digest('hex');
}

export function merkleNodeHash(left: string, right: string): string {
  return createHash('sha256').update(NODE).update(Buffer.from(left, 'hex')).update(Buffer.from(right, 'hex')).digest('hex');
}

function checkLeaves(leaves: readonly string[]): void {
  if (leaves.length === 0) throw new RangeError('a Merkle tree needs at least one leaf');
  for (const l of leaves) if (!HEX64.test(l)) throw new RangeError(`a leaf hash must be 64 lowercase hex digits: ${l}`);
}

function nextLevel(level: readonly string[]): string[] {
  const up: string[] = [];
  for (let i = 0; i + 1 < level.length; i += 2) up.push(merkleNodeHash(level[i], level[i + 1]));
  if (level.length % 2 === 1) up.push(level[level.length - 1]);
  return up;
}

/** The root over the leaf hashes, in their order. */
export function merkleRoot(leaves: readonly string[]): string {
  checkLeaves(leaves);
  let level = [...leaves];
  while (level.length > 1) level = nextLevel(level);
  return level[0];
}

/** The sibling hashes from the leaf at `index` up to the root (a promoted level contributes none). */
export function merkleProof(leaves: readonly string[], index: number): string[] {
  checkLeaves(leaves);
  if (!Number.isInteger(index) || index < 0 || index >= leaves.length) throw new RangeError(`leaf ${index} is not in a tree of ${leaves.length}`);
  const path: string[] = [];
  let level = [...leaves];
  let i = index;
  while (level.length > 1) {
    const sibling = i % 2 === 0 ? i + 1 : i - 1;
    if (sibling < level.length) path.push(level[sibling]);
    level = nextLevel(level);
    i = Math.floor(i / 2);
  }
  return path;
}

/**
 * Whether `leaf` is at position `index` of a group of `count` records whose root is `root`: the sides are
 * derived from the position and the count, never taken from the proof, and every sibling must be used.
 */
export function verifyMerkleProof(leaf: string, index: number, count: number, path: readonly string[], root: string): boolean {
  if (!Number.isInteger(count) || count < 1 || !Number.isInteger(index) || index < 0 || index >= count) return false;
  if (![leaf, root, ...path].every((h) => typeof h === 'string' && HEX64.test(h))) return false;
  let hash = leaf;
  let i = index;
  let size = count;
  let used = 0;
  while (size > 1) {
    if (i % 2 === 1) {
      if (used >= path.length) return false;
      hash = merkleNodeHash(path[used++], hash);
    } else if (i + 1 < size) {
      if (used >= path.length) return false;
      hash = merkleNodeHash(hash, path[used++]);
    }
    i = Math.floor(i / 2);
    size = Math.ceil(size / 2);
  }
  return used === path.length && hash === root;
}
