import { join } from 'node:path';
import { ConfigError, EnvReader, contractsDir } from '@tongban/config';
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
    expect(readSchemaRegistryConfig(env('ops:a:password:with:colons:admin')).users).toEqual([
      { name: 'ops', password: 'a:password:with:colons', role: 'admin' },
    ]);
    expect(() => readSchemaRegistryConfig(env('reader:reader-password-0001:read'))).toThrow('must name at least one admin');
    expect(() => readSchemaRegistryConfig(env('admin:short:admin'))).toThrow('password of registry user admin is shorter than 16 characters');
    expect(() => readSchemaRegistryConfig(env('admin:admin-password-00001:root'))).toThrow('role of registry user admin must be admin or read, got "root"');
  });

  describe('released schema ids', () => {
    const production = { TONGBAN_MYSQL_PASSWORD: '', TONGBAN_SCHEMA_REGISTRY_USERS: 'admin:admin-password-00001:admin' };

    it('imports the released manifest and registers unreleased schemas above the release range in development', () => {
      const c = readSchemaRegistryConfig(new EnvReader({ TONGBAN_PROFILE: 'development' }));
      expect(c.releasedIds).toBe(join(contractsDir(), 'released', 'schema-ids.json'));
      expect(c).toMatchObject({ unreleasedSchemas: 'allow', firstLocalId: 1_000_000 });
    });

    it('refuses unreleased schemas in any other profile unless told otherwise', () => {
      expect(readSchemaRegistryConfig(new EnvReader(production)).unreleasedSchemas).toBe('refuse');
      expect(readSchemaRegistryConfig(new EnvReader({ ...production, TONGBAN_SCHEMA_REGISTRY_UNRELEASED: 'allow' })).unreleasedSchemas).toBe('allow');
    });

    it('runs without the manifest only in development', () => {
      expect(
        readSchemaRegistryConfig(new EnvReader({ TONGBAN_PROFILE: 'development', TONGBAN_SCHEMA_REGISTRY_RELEASED_IDS: 'none' })).releasedIds,
      ).toBeUndefined();
      expect(() => readSchemaRegistryConfig(new EnvReader({ ...production, TONGBAN_SCHEMA_REGISTRY_RELEASED_IDS: 'none' }))).toThrow(
        'TONGBAN_SCHEMA_REGISTRY_RELEASED_IDS=none is for the development profile only',
      );
    });

    it("keeps the registry's own ids above the release range", () => {
      const env = (first: string) => new EnvReader({ TONGBAN_PROFILE: 'development', TONGBAN_SCHEMA_REGISTRY_FIRST_LOCAL_ID: first });
      expect(readSchemaRegistryConfig(env('51000000')).firstLocalId).toBe(51_000_000);
      expect(() => readSchemaRegistryConfig(env('999999'))).toThrow('TONGBAN_SCHEMA_REGISTRY_FIRST_LOCAL_ID must be a whole number from 1000000 to 2147483647');
      expect(() => readSchemaRegistryConfig(new EnvReader({ TONGBAN_PROFILE: 'development', TONGBAN_SCHEMA_REGISTRY_UNRELEASED: 'maybe' }))).toThrow(
        'TONGBAN_SCHEMA_REGISTRY_UNRELEASED must be one of allow, refuse',
      );
    });
  });
});
