import type { NextFunction, Request, Response } from 'express';
import { basicUser, isWrite, registryAuthMiddleware, RegistryUser } from './registry-auth';

const users: RegistryUser[] = [
  { name: 'tongban', password: 'admin-password-0000001', role: 'admin' },
  { name: 'partner', password: 'reader-password-000001', role: 'read' },
];
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('schema registry access', () => {
  it.each([
    ['POST', '/subjects/a.b.C/versions', true],
    ['POST', '/subjects/a.b.C/versions/', true],
    ['POST', '/SUBJECTS/a.b.C/Versions', true],
    ['post', '/subjects/a.b.C/versions', true],
    ['PUT', '/config', true],
    ['PUT', '/config/a.b.C', true],
    ['PUT', '/mode', true],
    ['DELETE', '/subjects/a.b.C', true],
    ['DELETE', '/config/a.b.C', true],
    ['POST', '/subjects/a.b.C', false],
    ['POST', '/compatibility/subjects/a.b.C/versions/latest', false],
    ['GET', '/subjects', false],
    ['GET', '/schemas/ids/1', false],
  ])('%s %s is a write: %s', (method, path, write) => {
    expect(isWrite(method, path)).toBe(write);
  });

  it('finds the user of matching basic credentials only', () => {
    expect(basicUser(users, basic('tongban', 'admin-password-0000001'))?.role).toBe('admin');
    expect(basicUser(users, basic('partner', 'reader-password-000001'))?.role).toBe('read');
    expect(basicUser(users, basic('partner', 'admin-password-0000001'))).toBeUndefined();
    expect(basicUser(users, basic('tongban', 'wrong'))).toBeUndefined();
    expect(basicUser(users, 'Bearer admin-password-0000001')).toBeUndefined();
    expect(basicUser(users, undefined)).toBeUndefined();
  });

  describe('the middleware', () => {
    const answer = (path: string, authorization?: string) => {
      const res = { statusCode: 200, headers: {} as Record<string, string>, body: '' };
      const fake = {
        setHeader: (name: string, value: string) => (res.headers[name.toLowerCase()] = value),
        status: (code: number) => ((res.statusCode = code), fake),
        type: () => fake,
        send: (body: string) => ((res.body = body), fake),
      };
      let passed = false;
      const next: NextFunction = () => (passed = true);
      registryAuthMiddleware(users)({ path, method: 'GET', headers: { authorization } } as Request, fake as unknown as Response, next);
      return { passed, ...res };
    };

    it.each(['/health', '/health/live', '/health/ready', '/metrics'])('lets a probe read %s without credentials', (path) => {
      expect(answer(path).passed).toBe(true);
    });

    it('answers any other path without credentials 401 with a Basic challenge', () => {
      const r = answer('/subjects');
      expect(r).toMatchObject({ passed: false, statusCode: 401, headers: { 'www-authenticate': 'Basic realm="tongban-schema-registry"' } });
      expect(JSON.parse(r.body).error_code).toBe(40101);
      expect(answer('/health/other').statusCode).toBe(401);
      expect(answer('/subjects', basic('partner', 'reader-password-000001')).passed).toBe(true);
    });
  });
});
