import { ApiKeyService, Caller, UnauthenticatedError } from '@tongban/auth';
import { GatewayAuth } from './gateway-auth';

/** A key service that knows a fixed set of keys (the store and the limiter are not under test here). */
function keysOf(callers: Record<string, Caller>): ApiKeyService {
  return {
    authenticate(authorization: string | undefined): Caller {
      const caller = callers[(authorization ?? '').replace(/^Bearer /, '')];
      if (!caller) throw new UnauthenticatedError('unknown key');
      return caller;
    },
  } as unknown as ApiKeyService;
}

const keys = keysOf({
  chengdu: { keyId: 'k1', division: '510100' },
  dazu: { keyId: 'k2', division: '500111' },
  htz: { keyId: 'k3', division: '500000', office: { id: 'CQ-HTZ', name: '重庆高新区', division: '500000', districts: ['500107'] } },
});

describe('GatewayAuth and the province a gateway serves', () => {
  const chongqing = new GatewayAuth(keys, 'admin-token-0123456789', '500000');

  it.each([
    ['dazu', '500111'],
    ['htz', '500000'],
  ])('lets a key of its own province in (%s)', async (key, division) => {
    await expect(chongqing.caller(`Bearer ${key}`)).resolves.toMatchObject({ division });
  });

  it('answers a key of the other province with 403, naming the gateway it must use', async () => {
    const refused = chongqing.caller('Bearer chengdu');
    await expect(refused).rejects.toMatchObject({ code: 'AUTH.FORBIDDEN_REGION' });
    await expect(refused).rejects.toThrow('through the gateway of province 510000');
  });

  it('still answers an unknown key with 401 before any province check', async () => {
    await expect(chongqing.caller('Bearer nobody')).rejects.toBeInstanceOf(UnauthenticatedError);
  });

  it('serves every province when none is configured (one gateway for both)', async () => {
    const both = new GatewayAuth(keys, 'admin-token-0123456789');
    await expect(both.caller('Bearer chengdu')).resolves.toMatchObject({ division: '510100' });
    await expect(both.caller('Bearer dazu')).resolves.toMatchObject({ division: '500111' });
  });
});
