import { UnavailableError } from '@tongban/errors';
import { RegistryError } from './wire-errors';

const MEDIA = 'application/vnd.schemaregistry.v1+json';

/**
 * Client for a Confluent-compatible schema registry (tongban's own, or any other with that API).
 * Ids and schemas never change once issued, so both directions are cached for the process lifetime.
 */
export class SchemaRegistryClient {
  private readonly idsBySubjectSchema = new Map<string, Promise<number>>();
  private readonly schemasById = new Map<number, Promise<string>>();
  private readonly timeoutMs: number;
  private readonly authorization?: string;

  /** `auth`: HTTP basic credentials of a registry user, sent with every request (as Confluent's clients send them). */
  constructor(
    readonly baseUrl: string,
    options: { auth?: { username: string; password: string }; timeoutMs?: number } = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 5000;
    if (options.auth) this.authorization = `Basic ${Buffer.from(`${options.auth.username}:${options.auth.password}`, 'utf8').toString('base64')}`;
  }

  /** Registers (or finds) `schema` under `subject` and returns its global id. */
  register(subject: string, schema: object | string): Promise<number> {
    const text = typeof schema === 'string' ? schema : JSON.stringify(schema);
    const key = `${subject}\u0000${text}`;
    let pending = this.idsBySubjectSchema.get(key);
    if (!pending) {
      pending = this.call<{ id: number }>('POST', `/subjects/${encodeURIComponent(subject)}/versions`, {
        schema: text,
      }).then((r) => r.id);
      pending.catch(() => this.idsBySubjectSchema.delete(key));
      this.idsBySubjectSchema.set(key, pending);
    }
    return pending;
  }

  /** Finds the id of a schema already registered under `subject`, without registering it. */
  lookup(subject: string, schema: object | string): Promise<number> {
    const text = typeof schema === 'string' ? schema : JSON.stringify(schema);
    const key = `${subject}\u0000${text}`;
    let pending = this.idsBySubjectSchema.get(key);
    if (!pending) {
      pending = this.call<{ id: number }>('POST', `/subjects/${encodeURIComponent(subject)}`, { schema: text }).then((r) => r.id);
      pending.catch(() => this.idsBySubjectSchema.delete(key));
      this.idsBySubjectSchema.set(key, pending);
    }
    return pending;
  }

  schemaById(id: number): Promise<string> {
    let pending = this.schemasById.get(id);
    if (!pending) {
      pending = this.call<{ schema: string }>('GET', `/schemas/ids/${id}`).then((r) => r.schema);
      pending.catch(() => this.schemasById.delete(id));
      this.schemasById.set(id, pending);
    }
    return pending;
  }

  async ping(): Promise<void> {
    await this.call('GET', '/subjects');
  }

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: { accept: MEDIA, 'content-type': MEDIA, ...(this.authorization ? { authorization: this.authorization } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      throw new UnavailableError(`schema registry at ${this.baseUrl}`, { cause: e });
    }
    const text = await response.text();
    const parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    if (!response.ok) {
      throw new RegistryError(
        response.status,
        parsed.error_code as number | undefined,
        `schema registry ${method} ${path}: ${response.status} ${String(parsed.message ?? text)}`,
      );
    }
    return parsed as T;
  }
}
