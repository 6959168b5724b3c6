import { isDependencyFailure, isTransientConflict } from './dependency-failure';
import { TongbanError, UnavailableError, ValidationError } from './tongban-error';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('isDependencyFailure', () => {
  it.each([
    ['a refused connection', withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:3306')],
    ['a lost MySQL connection', withCode('PROTOCOL_CONNECTION_LOST', 'Connection lost: The server closed the connection.')],
    ['MariaDB shutting down', withCode('ER_SERVER_SHUTDOWN')],
    ['too many connections', withCode('ER_CON_COUNT_ERROR')],
    ['TypeORM wrapping a driver error', Object.assign(new Error('query failed'), { driverError: withCode('ECONNRESET') })],
    ['a cause chain', new Error('outer', { cause: withCode('ETIMEDOUT') })],
    ['a closed mysql2 connection', new Error("Can't add new command when connection is in closed state")],
    ['ioredis without its offline queue', new Error("Stream isn't writeable and enableOfflineQueue options is false")],
    ['an UnavailableError', new UnavailableError('the registry')],
    ['no pool connection free in time', withCode('POOL_ACQUIRE_TIMEOUT', 'no database connection became free within 5000 ms')],
    ["mysql2's full wait queue", new Error('Queue limit reached.')],
  ])('is true for %s', (_what, error) => expect(isDependencyFailure(error)).toBe(true));

  it.each([
    ['a duplicate key', withCode('ER_DUP_ENTRY')],
    ['a syntax error', withCode('ER_PARSE_ERROR')],
    ['a validation error', new ValidationError([{ path: 'a', problem: 'b' }])],
    ['a retriable TongbanError of another kind', new TongbanError('AVRO.SCHEMA_NOT_FOUND', 'no schema', true)],
    ['a plain error', new Error('boom')],
    ['nothing', undefined],
    ['a string', 'ECONNREFUSED'],
  ])('is false for %s', (_what, error) => expect(isDependencyFailure(error)).toBe(false));
});

describe('isTransientConflict', () => {
  it.each([
    ["a deadlock's victim", withCode('ER_LOCK_DEADLOCK', 'Deadlock found when trying to get lock; try restarting transaction')],
    ['a lock wait that timed out', withCode('ER_LOCK_WAIT_TIMEOUT')],
    ['TypeORM wrapping a deadlock', Object.assign(new Error('Deadlock found'), { driverError: withCode('ER_LOCK_DEADLOCK') })],
  ])('is true for %s', (_what, error) => expect(isTransientConflict(error)).toBe(true));

  it.each([
    ['a duplicate key', withCode('ER_DUP_ENTRY')],
    ['a lost connection', withCode('PROTOCOL_CONNECTION_LOST')],
    ['a message that only mentions a deadlock', new Error('Deadlock found when trying to get lock')],
    ['nothing', undefined],
  ])('is false for %s', (_what, error) => expect(isTransientConflict(error)).toBe(false));
});
