import { DecodeFailure } from '@tongban/avro';
import { TongbanError, UnavailableError, ValidationError } from '@tongban/errors';
import { ErrorKind, errorKindOf, isWorthRetrying } from './error-kind';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('the kind of a failure', () => {
  it.each<[string, unknown, ErrorKind]>([
    ['a TypeError', new TypeError("Cannot read properties of undefined (reading 'caseId')"), 'programming'],
    ['a ReferenceError', new ReferenceError('applicant is not defined'), 'programming'],
    ['a SyntaxError', new SyntaxError('Unexpected token } in JSON at position 12'), 'programming'],
    ['a RangeError', new RangeError('Invalid time value'), 'programming'],
    ['a subclass of TypeError', new (class extends TypeError {})('x'), 'programming'],
    ['a refused connection', withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:3306'), 'dependency'],
    ['a failed fetch caused by a refused connection', new TypeError('fetch failed', { cause: withCode('ECONNREFUSED') }), 'dependency'],
    ['an unavailable registry', new UnavailableError('the registry'), 'dependency'],
    ['bytes not in the wire format', new DecodeFailure('WIRE_FORMAT_INVALID', 'not Confluent framing'), 'permanent'],
    ['a broken rule', new ValidationError([{ path: 'caseId', problem: 'missing' }]), 'permanent'],
    ['a refusal', new TongbanError('ILLEGAL_TRANSITION', 'no'), 'permanent'],
    ['a retriable TongbanError', new TongbanError('LOCKED', 'try later', true), 'retriable'],
    ['a driver error', Object.assign(new Error('Deadlock found'), { code: 'ER_LOCK_DEADLOCK' }), 'retriable'],
    ['a plain Error', new Error('boom'), 'retriable'],
    ['a thrown string', 'boom', 'retriable'],
  ])('%s is %s', (_what, error, kind) => {
    expect(errorKindOf(error)).toBe(kind);
  });

  it.each<[ErrorKind, boolean]>([
    ['dependency', true],
    ['retriable', true],
    ['programming', false],
    ['permanent', false],
  ])('a %s failure is worth another try: %s', (kind, worth) => {
    expect(isWorthRetrying(kind)).toBe(worth);
  });
});
