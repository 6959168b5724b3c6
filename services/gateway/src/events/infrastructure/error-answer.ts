import type { ArgumentsHost } from '@nestjs/common';
import { HttpErrorFilter, problemDetails } from '@tongban/http';
import type { ErrorAnswer } from '../domain/event-batch';

const filter = new HttpErrorFilter();

/**
 * The status and body the gateway answers for `error`, computed by the same filter that answers every
 * request (so a batch item refused for a reason gets exactly what `POST /v1/events` would answer).
 */
export function errorAnswerOf(error: unknown): ErrorAnswer {
  const answer: ErrorAnswer = { status: 500, body: problemDetails({ code: 'SERVICE.INTERNAL', detail: 'internal error' }) };
  const headers = new Map<string, string>();
  const res = {
    locals: {} as Record<string, unknown>,
    setHeader: (name: string, value: string) => headers.set(name.toLowerCase(), value),
    getHeader: (name: string) => headers.get(name.toLowerCase()),
    status(status: number) {
      answer.status = status;
      return res;
    },
    send(text: string) {
      answer.body = JSON.parse(text) as ErrorAnswer['body'];
      return res;
    },
  };
  filter.catch(error, { switchToHttp: () => ({ getResponse: () => res }) } as unknown as ArgumentsHost);
  return answer;
}
