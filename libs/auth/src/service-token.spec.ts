import { ConfigError, EnvReader } from '@tongban/config';
import { authenticateService, readServiceToken, serviceHeaders } from './service-token';

const TOKEN = 'a-service-token-of-at-least-32-characters';

describe('service token of the region nodes’ internal API', () => {
  it.each([
    ['no token', {}, false, 401, 'missing x-tongban-service-token'],
    ['a wrong token', { token: 'x'.repeat(40) }, false, 401, 'wrong service token'],
    ['a prefix of the token', { token: TOKEN.slice(0, 20) }, false, 401, 'wrong service token'],
    ['an action without an actor', { token: TOKEN }, true, 400, 'must name its'],
    ['an actor with spaces', { token: TOKEN, actor: 'ops alice' }, false, 400, 'x-tongban-actor'],
    ['an office without a division', { token: TOKEN, viewerOffice: 'CQ-HTZ' }, false, 400, 'division code'],
    ['a viewer that is not a code', { token: TOKEN, viewerDivision: '5101' }, false, 400, 'division code'],
  ])('refuses %s', (_what, headers, mutating, status, message) => {
    const r = authenticateService(headers, TOKEN, mutating);
    expect(r).toMatchObject({ ok: false, status });
    expect(r.ok ? '' : r.message).toContain(message);
  });

  it('accepts the token and takes the viewer and actor from the headers it sent', () => {
    const headers = serviceHeaders(TOKEN, 'gateway:abc123', { division: '500000', office: 'CQ-HTZ' });
    const r = authenticateService(
      {
        token: headers['x-tongban-service-token'],
        actor: headers['x-tongban-actor'],
        viewerDivision: headers['x-tongban-viewer-division'],
        viewerOffice: headers['x-tongban-viewer-office'],
      },
      TOKEN,
      true,
    );
    expect(r).toEqual({ ok: true, actor: 'gateway:abc123', viewer: { division: '500000', office: 'CQ-HTZ' } });
  });

  it('requires the token outside the development profile and a long one everywhere', () => {
    const read = (env: Record<string, string>) => {
      const r = new EnvReader(env);
      const token = readServiceToken(r);
      r.done();
      return token;
    };
    expect(() => read({ TONGBAN_PROFILE: 'production' })).toThrow(ConfigError);
    expect(() => read({ TONGBAN_PROFILE: 'production' })).toThrow(/TONGBAN_NODE_SERVICE_TOKEN is required/);
    expect(() => read({})).toThrow(/TONGBAN_NODE_SERVICE_TOKEN is required/);
    expect(() => read({ TONGBAN_PROFILE: 'production', TONGBAN_NODE_SERVICE_TOKEN: 'short' })).toThrow(/at least 32/);
    expect(read({ TONGBAN_PROFILE: 'production', TONGBAN_NODE_SERVICE_TOKEN: TOKEN })).toBe(TOKEN);
  });
});
