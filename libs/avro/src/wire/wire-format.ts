import { DecodeFailure } from './wire-errors';

/** Confluent wire format: magic byte 0, 4-byte big-endian schema id, then the Avro binary body. */
export const MAGIC_BYTE = 0;
export const HEADER_LENGTH = 5;

export function frame(schemaId: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(HEADER_LENGTH + body.length);
  out.writeUInt8(MAGIC_BYTE, 0);
  out.writeUInt32BE(schemaId, 1);
  body.copy(out, HEADER_LENGTH);
  return out;
}

export function unframe(bytes: Buffer | null | undefined): { schemaId: number; body: Buffer } {
  if (!bytes || bytes.length < HEADER_LENGTH) {
    throw new DecodeFailure('WIRE_FORMAT_INVALID', `message of ${bytes?.length ?? 0} bytes is shorter than the 5-byte header`);
  }
  if (bytes[0] !== MAGIC_BYTE) {
    throw new DecodeFailure('WIRE_FORMAT_INVALID', `first byte is ${bytes[0]}, expected the magic byte 0`);
  }
  return { schemaId: bytes.readUInt32BE(1), body: bytes.subarray(HEADER_LENGTH) };
}
