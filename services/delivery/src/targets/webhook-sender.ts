import { lookup as dnsLookup, LookupAddress } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { refusalFor, TargetPolicy } from './address-policy';

/** What a delivery attempt came to; `error` is a short fixed category, never the receiver's words. */
export type SendOutcome = { status: number; error: string | null };

type Lookup = (hostname: string, options: { all: true }, callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

class RefusedTargetError extends Error {
  readonly code = 'ETONGBANREFUSED';
}

/**
 * The lookup every connection of a webhook goes through: a name is resolved, and if any of its
 * addresses is refused by the policy, the connection is not made (so a name that answers a public
 * address once and a private one later cannot slip through between a check and the connect).
 */
export function guardedLookup(policy: TargetPolicy, resolve: Lookup = dnsLookup as unknown as Lookup) {
  return (hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void): void => {
    resolve(hostname, { all: true }, (err, addresses) => {
      if (err) return callback(err);
      for (const a of addresses) {
        const refused = refusalFor(a.address, policy);
        if (refused) return callback(new RefusedTargetError(refused));
      }
      if (options.all) return callback(null, addresses);
      return callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

/** A short category for a failed attempt: what an operator or the partner may see. */
export function failureCategory(e: unknown, timeoutMs: number): string {
  const err = e as NodeJS.ErrnoException & { name?: string };
  if (err instanceof RefusedTargetError) return err.message;
  if (err?.name === 'TimeoutError' || err?.code === 'ETIMEDOUT') return `no answer within ${timeoutMs} ms`;
  if (err?.code === 'ENOTFOUND' || err?.code === 'EAI_AGAIN') return 'name not resolved';
  if (typeof err?.code === 'string' && /^(ERR_TLS|CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO)/.test(err.code)) return 'TLS failed';
  return 'connection failed';
}

/**
 * POSTs one webhook. Redirects are not followed (a 3xx is a failed attempt), the target's address is
 * checked on every connect, and the receiver's answer body is read and dropped.
 */
export function sendWebhook(
  url: string,
  o: { headers: Record<string, string>; body: string; timeoutMs: number; policy: TargetPolicy; resolve?: Lookup },
): Promise<SendOutcome> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return Promise.resolve({ status: 0, error: 'refused: bad URL' });
  }
  const host = target.hostname.replace(/^\[|\]$/g, '');
  // An IP literal is connected to without a lookup: check it here.
  if (isIP(host)) {
    const refused = refusalFor(host, o.policy);
    if (refused) return Promise.resolve({ status: 0, error: refused });
  }
  const request = target.protocol === 'https:' ? httpsRequest : target.protocol === 'http:' ? httpRequest : undefined;
  if (!request) return Promise.resolve({ status: 0, error: 'refused: not http(s)' });
  return new Promise((resolve) => {
    let settled = false;
    const done = (outcome: SendOutcome) => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        resolve(outcome);
      }
    };
    const req = request(
      target,
      {
        method: 'POST',
        headers: { ...o.headers, 'content-length': String(Buffer.byteLength(o.body)) },
        lookup: guardedLookup(o.policy, o.resolve) as never,
        agent: false,
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) done({ status, error: null });
          else if (status >= 300 && status < 400) done({ status, error: 'refused: redirect not followed' });
          else done({ status, error: `receiver answered ${status}` });
        });
        res.on('error', (e) => done({ status: 0, error: failureCategory(e, o.timeoutMs) }));
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      done({ status: 0, error: `no answer within ${o.timeoutMs} ms` });
    }, o.timeoutMs);
    req.on('error', (e) => done({ status: 0, error: failureCategory(e, o.timeoutMs) }));
    req.end(o.body);
  });
}
