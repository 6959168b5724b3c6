import { TongbanError, UnavailableError } from '@tongban/errors';

/** Where a message came from, so a bad one can be found again. */
export interface MessageOrigin {
  topic?: string;
  partition?: number;
  offset?: string;
}

/** Bytes that cannot become an event. Never retriable: the same bytes fail the same way. */
export type DecodeFailureCode = 'WIRE_FORMAT_INVALID' | 'SCHEMA_ID_UNKNOWN' | 'AVRO_DECODE_FAILED' | 'EVENT_TYPE_UNKNOWN';

export class DecodeFailure extends TongbanError {
  constructor(
    readonly failure: DecodeFailureCode,
    message: string,
    readonly origin: MessageOrigin = {},
    options?: ErrorOptions,
  ) {
    super(failure, message, false, options);
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
    super(`REGISTRY_${errorCode ?? status}`, message, status >= 500);
  }
}

export { UnavailableError };
