import type { AddressInfo } from 'node:net';
import { example, EventBody } from '../support/examples';
import type { TestStack } from '../support/test-stack';

/** A JSON answer read loosely, member by member. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

/** A date `days` from today, YYYY-MM-DD (deadlines in the examples must not be past). */
export function daysFromNow(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

/** An economic check opened by `division` (its own namespace) and addressed to Dazu. */
export function economicCheckFrom(division: string, suffix: string): EventBody {
  const body = example('EconomicCheckRequested');
  body.caseId = `ECK-${division}-2026-${suffix}`;
  body.sourceRegion = division;
  body.payload.answerBy = daysFromNow(20);
  return body;
}

export function nodeUrl(stack: TestStack, region: string): string {
  return `http://127.0.0.1:${(stack.nodes.get(region)!.app.getHttpServer().address() as AddressInfo).port}`;
}

/** Any HTTP call, answering the status and the parsed body (text when it is not JSON). */
export async function call(url: string, init: RequestInit = {}): Promise<{ status: number; body: Json }> {
  const res = await fetch(url, init);
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) };
  } catch {
    return { status: res.status, body: { text } };
  }
}

export function bearer(key: string, extra: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Bearer ${key}`, ...extra };
}
