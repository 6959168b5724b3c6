import { TongbanError, UnavailableError } from '@tongban/errors';

/** Where a message came from, so a bad one can be found again. */
export interface MessageOrigin {
  topic?: string;
  partition?: number;
  offset?: string;
}

/** Bytes that cannot become an event. Never retriable: the same bytes fail the same way. */
export type DecodeFailureCode = 'WIRE_FORMAT_INVALID' | 'SCHEMA_ID_UNKNOWN' | 'AVRO_DECODE_FAILED' | 'EVENT_TYPE_UNKNOWN';

/** The taxonomy's code of each failure; the flat one stays in `failure` and in dead letters' headers. */
const DECODE_CODES: Record<DecodeFailureCode, string> = {
  WIRE_FORMAT_INVALID: 'AVRO.WIRE_FORMAT_INVALID',
  SCHEMA_ID_UNKNOWN: 'AVRO.SCHEMA_ID_UNKNOWN',
  AVRO_DECODE_FAILED: 'AVRO.DECODE_FAILED',
  EVENT_TYPE_UNKNOWN: 'AVRO.EVENT_TYPE_UNKNOWN',
};

export class DecodeFailure extends TongbanError {
  constructor(
    readonly failure: DecodeFailureCode,
    message: string,
    readonly origin: MessageOrigin = {},
    options?: ErrorOptions,
  ) {
    super(DECODE_CODES[failure], message, false, { ...options, legacyCode: failure });
  }

  withOrigin(origin: MessageOrigin): DecodeFailure {
    const where = `${origin.topic ?? '?'}[${origin.partition ?? '?'}]@${origin.offset ?? '?'}`;
    return new DecodeFailure(this.failure, `${this.message} (at ${where})`, origin, {
      cause: this.cause,
    });
  }
}

export class RegistryError extends TongbanError {
  constructor(
    readonly status: number,
    readonly errorCode: number | undefined,
    message: string,
  ) {
    super(status >= 500 ? 'AVRO.REGISTRY_FAILED' : 'AVRO.REGISTRY_REFUSED', message, status >= 500, { legacyCode: `REGISTRY_${errorCode ?? status}` });
  }
}

export { UnavailableError };
