import { basicUser, isWrite, RegistryUser } from './registry-auth';

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
});
