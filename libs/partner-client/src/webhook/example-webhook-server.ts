import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { DeliveredEvent, WebhookReceiver } from './webhook-receiver';

/**
 * A partner's smallest webhook endpoint: plain node:http, no framework. Run it with
 * `TONGBAN_WEBHOOK_SECRET=whsec_… node -r ./tools/runtime/register-aliases.js dist/libs/partner-client/src/webhook/example-webhook-server.js`
 * and register its URL with `POST /v1/subscriptions` on the delivery service.
 */
export async function startExampleWebhookServer(options: {
  secret: string;
  port?: number;
  host?: string;
  path?: string;
  onEvent?: (event: DeliveredEvent) => Promise<void> | void;
}): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const receiver = new WebhookReceiver({
    secret: options.secret,
    onEvent: options.onEvent ?? ((e) => void process.stdout.write(`${e.eventType} ${e.eventId} case ${e.caseId}\n`)),
  });
  const path = options.path ?? '/tongban/events';
  const server = createServer(async (req, res) => {
    if (req.method !== 'POST' || req.url !== path) {
      res.writeHead(404).end();
      return;
    }
    const answer = await receiver.handle(req.headers, await rawBody(req));
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://${options.host ?? '127.0.0.1'}:${port}${path}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export function rawBody(req: IncomingMessage, limit = 5 * 1024 * 1024): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) req.destroy(new Error('body too large'));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

if (require.main === module) {
  const secret = process.env.TONGBAN_WEBHOOK_SECRET;
  if (!secret) {
    process.stderr.write('set TONGBAN_WEBHOOK_SECRET to the secret answered by POST /v1/subscriptions\n');
    process.exit(2);
  }
  startExampleWebhookServer({ secret, port: Number(process.env.PORT ?? 8700) }).then(({ url }) => process.stdout.write(`listening on ${url}\n`));
}
