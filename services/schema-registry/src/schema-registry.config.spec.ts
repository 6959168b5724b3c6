import { ConfigError, EnvReader } from '@tongban/config';
import { readSchemaRegistryConfig } from './schema-registry.config';

describe('schema registry configuration', () => {
  it('generates an admin and a reader in the development profile, with the documented limits', () => {
    const c = readSchemaRegistryConfig(new EnvReader({ TONGBAN_PROFILE: 'development' }));
    expect(c.users.map((u) => `${u.name}:${u.role}`)).toEqual(['tongban:admin', 'partner:read']);
    expect(c).toMatchObject({ maxSchemaBytes: 262144, maxSubjects: 10000 });
  });

  it('refuses to start elsewhere without its users and database password', () => {
    expect(() => readSchemaRegistryConfig(new EnvReader({}))).toThrow(ConfigError);
    try {
      readSchemaRegistryConfig(new EnvReader({}));
    } catch (e) {
      expect((e as ConfigError).problems.map((p) => p.split(' ')[0])).toEqual(['TONGBAN_MYSQL_PASSWORD', 'TONGBAN_SCHEMA_REGISTRY_USERS']);
    }
  });

  it('reads users as name:password:role and wants an admin among them', () => {
    const env = (users: string) => new EnvReader({ TONGBAN_MYSQL_PASSWORD: '', TONGBAN_SCHEMA_REGISTRY_USERS: users });
    expect(readSchemaRegistryConfig(env('ops:a:password:with:colons:admin')).users).toEqual([{ name: 'ops', password: 'a:password:with:colons', role: 'admin' }]);
    expect(() => readSchemaRegistryConfig(env('reader:reader-password-0001:read'))).toThrow('must name at least one admin');
    expect(() => readSchemaRegistryConfig(env('admin:short:admin'))).toThrow('password of registry user admin is shorter than 16 characters');
    expect(() => readSchemaRegistryConfig(env('admin:admin-password-00001:root'))).toThrow('role of registry user admin must be admin or read, got "root"');
  });
});
