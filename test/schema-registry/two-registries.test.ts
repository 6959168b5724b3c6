import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as avro from 'avsc';
import {
  AvroCodec,
  DecodeFailure,
  SchemaCatalogue,
  SchemaIdManifest,
  SchemaRegistryClient,
  assignSchemaIds,
  formatSchemaIdManifest,
  frame,
  readSchemaIdManifest,
  unframe,
} from '@tongban/avro';
import { EnvReader, contractsDir } from '@tongban/config';
import { JsonLogger } from '@tongban/observability';
import { dropDatabase } from '@tongban/persistence';
import { createSchemaRegistryApp } from '../../services/schema-registry/src/app';
import { readSchemaRegistryConfig } from '../../services/schema-registry/src/schema-registry.config';
import { developmentRegistryAuth } from '../support/test-registry';
import { uniqueId } from '../support/unique';

const MYSQL = { host: '127.0.0.1', port: 3306, user: 'root', password: '' };
const AUTH = developmentRegistryAuth();

interface Running {
  url: string;
  client: SchemaRegistryClient;
  close(): Promise<void>;
}

/** One province's registry: its own database and port, the manifest and policy it is given. */
async function startRegistry(database: string, env: Record<string, string>): Promise<Running> {
  const config = readSchemaRegistryConfig(new EnvReader({ TONGBAN_PROFILE: 'development', TONGBAN_SCHEMA_REGISTRY_DATABASE: database, ...env }));
  const registry = await createSchemaRegistryApp(config, new JsonLogger('schema-registry', undefined, 'error'));
  const url = await registry.listen(0, '127.0.0.1');
  return { url, client: new SchemaRegistryClient(url, { auth: AUTH }), close: () => registry.close() };
}

async function get(r: Running, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${r.url}${path}`, { headers: { authorization: `Basic ${Buffer.from(`${AUTH.username}:${AUTH.password}`).toString('base64')}` } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('two provinces, two registries that never talk to each other', () => {
  const run = uniqueId();
  const databases: string[] = [];
  const open: Running[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'tongban-registries-'));
  const db = (name: string) => {
    const d = `tb_${run}_${name}`;
    databases.push(d);
    return d;
  };
  const start = async (database: string, env: Record<string, string>) => {
    const r = await startRegistry(database, env);
    open.push(r);
    return r;
  };
  const stop = async (r: Running) => {
    open.splice(open.indexOf(r), 1);
    await r.close();
  };

  afterAll(async () => {
    for (const r of open) await r.close().catch(() => undefined);
    for (const d of databases) await dropDatabase(MYSQL, d).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  describe('with the released contracts', () => {
    const manifest = readSchemaIdManifest(join(contractsDir(), 'released', 'schema-ids.json'));
    const catalogue = new SchemaCatalogue(join(contractsDir(), 'avro'));
    let sichuan: Running;
    let chongqing: Running;

    beforeAll(async () => {
      // Production-like: unreleased schemas refused, each province's own ids in a range of its own.
      [sichuan, chongqing] = await Promise.all([
        start(db('reg_sc'), { TONGBAN_SCHEMA_REGISTRY_UNRELEASED: 'refuse', TONGBAN_SCHEMA_REGISTRY_FIRST_LOCAL_ID: '51000000' }),
        start(db('reg_cq'), { TONGBAN_SCHEMA_REGISTRY_UNRELEASED: 'refuse', TONGBAN_SCHEMA_REGISTRY_FIRST_LOCAL_ID: '50000000' }),
      ]);
    });

    it('resolves every released schema under the id the manifest gives it, in both provinces', async () => {
      expect(manifest.schemas.length).toBeGreaterThan(30);
      for (const entry of manifest.schemas) {
        const [sc, cq] = await Promise.all([sichuan.client.schemaById(entry.id), chongqing.client.schemaById(entry.id)]);
        expect(JSON.parse(sc)).toEqual(entry.schema);
        expect(cq).toBe(sc);
      }
    });

    it('decodes in Chongqing, with Chongqing’s registry, a record of every released event (and service record) encoded in Sichuan', async () => {
      const reader = new AvroCodec(catalogue, chongqing.client, false);
      for (const entry of manifest.schemas.filter((e) => !e.retired)) {
        // What a Sichuan producer does outside development: look its schema up, never register it.
        const id = await sichuan.client.lookup(entry.subject, entry.schema);
        expect(id).toBe(entry.id);
        // Any bytes the released schema writes (its logical types' underlying values, at random).
        const writer = avro.Type.forSchema(entry.schema as avro.Schema);
        if (catalogue.serviceRecord(entry.subject)) {
          // A service record (the audit witness's heads) is read as that record, never as an event.
          const record = writer.random();
          await expect(reader.decodeRecord(entry.subject, frame(id, writer.toBuffer(record)))).resolves.toMatchObject({ schemaId: id });
          continue;
        }
        const value = writer.random() as unknown as { envelope: { caseId: string } };
        const decoded = await reader.decode(frame(id, writer.toBuffer(value)), { topic: 'tongban.500000.inbox', partition: 0, offset: '0' });
        expect(catalogue.event(decoded.eventType)?.fullName).toBe(entry.subject);
        expect((decoded.value as { envelope: { caseId: string } }).envelope.caseId).toBe(value.envelope.caseId);
      }
    });

    it('refuses a schema that is not released (42205) and lists the released subjects', async () => {
      const schema = { type: 'record', name: 'Unreleased', namespace: 'cn.tongban.test.v1', fields: [{ name: 'a', type: 'string' }] };
      await expect(sichuan.client.register('cn.tongban.test.v1.Unreleased', schema)).rejects.toMatchObject({ status: 422, errorCode: 42205 });
      const subjects = await sichuan.client.call<string[]>('GET', '/subjects');
      expect(subjects).toEqual([...new Set(manifest.schemas.filter((e) => !e.retired).map((e) => e.subject))].sort());
    });
  });

  describe('a new version that Sichuan has before Chongqing', () => {
    const subject = 'cn.tongban.test.v1.Person';
    const person = (extra: object[] = []) => ({
      type: 'record',
      name: 'Person',
      namespace: 'cn.tongban.test.v1',
      fields: [{ name: 'caseId', type: 'string' }, ...extra],
    });
    const v1 = person();
    const v2 = person([{ name: 'hukouDivision', type: ['null', 'string'], default: null }]);
    const localV2 = person([{ name: 'note', type: ['null', 'string'], default: null }]);
    const write = (name: string, m: SchemaIdManifest) => {
      const file = join(dir, name);
      writeFileSync(file, formatSchemaIdManifest(m));
      return file;
    };
    const first = assignSchemaIds(undefined, new Map([[subject, [v1]]]));
    const second = assignSchemaIds(first, new Map([[subject, [v1, v2]]]));
    const releaseOne = write('release-1.json', first);
    const releaseTwo = write('release-2.json', second);
    const idOf = (schema: object) => second.schemas.find((e) => JSON.stringify(e.schema) === JSON.stringify(schema))!.id;

    it('gives the same ids whatever the order of registration, and Chongqing reads the new version once it has the release', async () => {
      const scDb = db('order_sc');
      const cqDb = db('order_cq');
      const sichuan = await start(scDb, { TONGBAN_SCHEMA_REGISTRY_RELEASED_IDS: releaseTwo, TONGBAN_SCHEMA_REGISTRY_FIRST_LOCAL_ID: '51000000' });
      let chongqing = await start(cqDb, { TONGBAN_SCHEMA_REGISTRY_RELEASED_IDS: releaseOne, TONGBAN_SCHEMA_REGISTRY_FIRST_LOCAL_ID: '50000000' });

      // Sichuan: the new version first, then the old one. Chongqing: the old one, then a version of its own.
      expect(await sichuan.client.register(subject, v2)).toBe(idOf(v2));
      expect(await sichuan.client.register(subject, v1)).toBe(idOf(v1));
      expect(await chongqing.client.register(subject, v1)).toBe(idOf(v1));
      const local = await chongqing.client.register(subject, localV2);
      expect(local).toBeGreaterThanOrEqual(50_000_000);
      expect((await get(sichuan, `/schemas/ids/${local}`)).status).toBe(404);

      // A Sichuan record written with the new version, before Chongqing has that release.
      const writer = avro.Type.forSchema(v2 as avro.Schema);
      const record = frame(await sichuan.client.lookup(subject, v2), writer.toBuffer({ caseId: 'SUB-510104-2026-000001', hukouDivision: '500103' }));
      expect(unframe(record).schemaId).toBe(idOf(v2));
      const reader = avro.Type.forSchema(v1 as avro.Schema);
      const decodeInChongqing = async (r: Running) => {
        const { schemaId, body } = unframe(record);
        const writerSchema = avro.Type.forSchema(JSON.parse(await r.client.schemaById(schemaId)) as avro.Schema);
        return reader.fromBuffer(body, reader.createResolver(writerSchema)) as { caseId: string };
      };
      await expect(decodeInChongqing(chongqing)).rejects.toMatchObject({ status: 404, errorCode: 40403 });

      // Chongqing restarts with the release holding the new version: same id, whatever its own history.
      await stop(chongqing);
      chongqing = await start(cqDb, { TONGBAN_SCHEMA_REGISTRY_RELEASED_IDS: releaseTwo, TONGBAN_SCHEMA_REGISTRY_FIRST_LOCAL_ID: '50000000' });
      expect(await decodeInChongqing(chongqing)).toMatchObject({ caseId: 'SUB-510104-2026-000001' });
      expect(await chongqing.client.register(subject, v2)).toBe(idOf(v2));
      expect(await chongqing.client.schemaById(idOf(v2))).toBe(await sichuan.client.schemaById(idOf(v2)));
      // Version numbers are each registry's own; only the ids are shared.
      expect((await get(sichuan, `/subjects/${subject}/versions`)).body).toEqual([1, 2]);
      expect((await get(chongqing, `/subjects/${subject}/versions`)).body).toEqual([1, 2, 3]);
      expect((await get(chongqing, `/subjects/${subject}/versions/3`)).body).toMatchObject({ id: idOf(v2), version: 3 });
      // The registry's own ids go on from where they were, above the release.
      const another = await chongqing.client.register(subject, person([{ name: 'other', type: ['null', 'int'], default: null }]));
      expect(another).toBeGreaterThan(local);
    });

    it('does not start on a database whose own ids the manifest gives to other schemas', async () => {
      const database = db('conflict');
      const before = await start(database, { TONGBAN_SCHEMA_REGISTRY_RELEASED_IDS: 'none' });
      // Numbered by the registry itself: id 1, which the release gives to v1.
      expect(await before.client.register(subject, v2)).toBe(1);
      await stop(before);
      await expect(startRegistry(database, { TONGBAN_SCHEMA_REGISTRY_RELEASED_IDS: releaseTwo })).rejects.toThrow(
        /released schema ids cannot be imported into database tb_\w+_conflict: id 1 \(released for cn\.tongban\.test\.v1\.Person\) holds another schema here; the schema released as id 2 \(cn\.tongban\.test\.v1\.Person\) is id 1 here/,
      );
    });

    it('imports once however often and by however many replicas it starts', async () => {
      const database = db('replicas');
      const env = { TONGBAN_SCHEMA_REGISTRY_RELEASED_IDS: releaseTwo };
      // Migrated first, so that the two replicas below race on the import alone.
      await stop(await start(database, { TONGBAN_SCHEMA_REGISTRY_RELEASED_IDS: 'none' }));
      const [a, b] = await Promise.all([start(database, env), start(database, env)]);
      const c = await start(database, env);
      expect((await get(c, `/subjects/${subject}/versions`)).body).toEqual([1, 2]);
      for (const r of [a, b, c]) expect((await get(r, `/schemas/ids/${idOf(v2)}/versions`)).body).toEqual([{ subject, version: 2 }]);
    });
  });

  it('reports a record naming an id the registry cannot resolve as SCHEMA_ID_UNKNOWN', async () => {
    const r = await start(db('unknown'), { TONGBAN_SCHEMA_REGISTRY_RELEASED_IDS: 'none' });
    const codec = new AvroCodec(new SchemaCatalogue(join(contractsDir(), 'avro')), r.client, false);
    const failure = await codec
      .decode(frame(51_000_007, Buffer.from([2, 0x41])), { topic: 'tongban.500000.inbox', partition: 1, offset: '9' })
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(DecodeFailure);
    expect(failure).toMatchObject({ failure: 'SCHEMA_ID_UNKNOWN', code: 'AVRO.SCHEMA_ID_UNKNOWN', legacyCode: 'SCHEMA_ID_UNKNOWN' });
  });
});
