import { Agent, request } from 'node:http';

export interface PostAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body parsed as JSON, or undefined when it is empty or not JSON. */
  body: unknown;
}

/**
 * POSTs JSON over kept-alive connections with node's own http client. The bench's load generator shares the two
 * cores with what it measures; `fetch` (undici) spent about twice the CPU per request of this client here, CPU the
 * stack under test did not get.
 */
export class HttpPoster {
  private readonly agent: Agent;

  /** `connections` bounds the sockets open at once (unbounded by default: an open loop must not queue in the client). */
  constructor(
    private readonly baseUrl: string,
    connections = Infinity,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets: connections });
  }

  post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<PostAnswer> {
    const payload = Buffer.from(JSON.stringify(body));
    const url = new URL(path, this.baseUrl);
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method: 'POST',
          agent: this.agent,
          headers: { 'content-type': 'application/json', 'content-length': String(payload.length), ...headers },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              parsed = undefined;
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
