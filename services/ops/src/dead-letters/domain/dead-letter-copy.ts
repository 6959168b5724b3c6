import { createHash } from 'node:crypto';

/**
 * The digest of what makes a message of a dead-letter topic: its topic, key, value and headers (by name), but not its
 * position or timestamp. Two copies of one letter (a producer that resent it) have the same digest; a later failure
 * of the same message has other failure times in its headers, so another digest. Each part is length-prefixed, so
 * no two different messages share their concatenation.
 */
export function copyHash(message: { topic: string; key: Buffer | null; value: Buffer | null; headers: Record<string, string> }): string {
  const hash = createHash('sha256');
  const part = (bytes: Buffer | null) => {
    const length = Buffer.alloc(5);
    // A missing key or value differs from an empty one.
    if (bytes === null) length.writeUInt8(0, 0);
    else {
      length.writeUInt8(1, 0);
      length.writeUInt32BE(bytes.length, 1);
    }
    hash.update(length);
    if (bytes) hash.update(bytes);
  };
  part(Buffer.from(message.topic, 'utf8'));
  part(message.key);
  part(message.value);
  for (const name of Object.keys(message.headers).sort()) {
    part(Buffer.from(name, 'utf8'));
    part(Buffer.from(message.headers[name], 'utf8'));
  }
  return hash.digest('hex');
}
