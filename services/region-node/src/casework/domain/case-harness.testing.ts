import { WorkingCalendar } from '@tongban/calendar';
import { checkCharacter } from '@tongban/regions';
import type { AppliedDecision, CaseSnapshot, DecideContext, Decision, FollowUpEvent, IncomingEvent } from './casework.types';
import { applyDecision, decide, decideTimer } from './engine';
import { definitionFor } from './workflows';

/** A valid ID number for a test person: division, birth date YYYYMMDD, sequence (odd male, even female). */
export function makeIdNumber(division: string, birthDate: string, sequence: string): string {
  const first17 = `${division}${birthDate.replace(/-/g, '')}${sequence}`;
  return first17 + checkCharacter(first17);
}

export type Send = Omit<IncomingEvent, 'eventId' | 'occurredAt'> & { eventId?: string; occurredAt?: IncomingEvent['occurredAt'] };

/**
 * Every region's cases in one in-memory store, as if all nodes shared one database: events applied through
 * `decide`, follow-up events applied in turn, timers fired on demand. For specs only.
 */
export class CaseHarness {
  readonly cases = new Map<string, CaseSnapshot>();
  readonly published: FollowUpEvent[] = [];
  calendar = WorkingCalendar.china2026();
  now = new Date('2026-11-02T02:00:00Z');
  private seq = 0;

  context(): DecideContext {
    return {
      calendar: this.calendar,
      now: this.now,
      lookups: {
        openSubsidyCases: (idNumber, type) =>
          [...this.cases.values()]
            .filter((c) => c.workflow === 'disability-subsidy' && c.personKeys.includes(idNumber))
            .filter((c) => (definitionFor(c.workflow)!.openStates as readonly string[]).includes(c.state))
            .filter((c) => ((c.data.activeTypes ?? c.data.requestedTypes) as string[]).includes(type))
            .map((c) => ({ caseId: c.caseId, state: c.state })),
        divisionsWithActiveCases: (idNumber) =>
          [...this.cases.values()]
            .filter((c) => c.personKeys.includes(idNumber) && (definitionFor(c.workflow)!.openStates as readonly string[]).includes(c.state))
            .map((c) => c.responsibleDivision),
      },
    };
  }

  get(caseId: string): CaseSnapshot {
    const c = this.cases.get(caseId);
    if (!c) throw new Error(`no case ${caseId}`);
    return c;
  }

  /** Puts a case straight into a state (for transition tables). */
  put(snapshot: CaseSnapshot): void {
    this.cases.set(snapshot.caseId, snapshot);
  }

  async send(event: Send, options: { follow?: boolean } = {}): Promise<Decision> {
    const incoming: IncomingEvent = { eventId: event.eventId ?? `evt-${++this.seq}`, occurredAt: event.occurredAt ?? this.now, ...event } as IncomingEvent;
    // A node receives an event after it occurred: the clock moves on to it.
    const at = new Date(incoming.occurredAt as Date);
    if (at.getTime() > this.now.getTime()) this.now = at;
    const decision = await decide(this.cases.get(incoming.caseId), incoming, this.context());
    if (decision.kind === 'applied') await this.store(decision, new Date(incoming.occurredAt as Date), options.follow ?? true);
    return decision;
  }

  async fire(caseId: string, timerName: string, options: { follow?: boolean } = {}): Promise<Decision> {
    const snapshot = this.get(caseId);
    const open = snapshot.timers[timerName];
    if (open && this.now < new Date(open.dueAt)) this.now = new Date(open.dueAt);
    const decision = decideTimer(snapshot, timerName, this.context());
    if (decision.kind === 'applied') await this.store(decision, this.now, options.follow ?? true);
    return decision;
  }

  async followAll(events: FollowUpEvent[]): Promise<Decision[]> {
    const out: Decision[] = [];
    for (const e of events) {
      this.published.push(e);
      out.push(await this.send({ ...e, sourceOffice: e.sourceOffice ?? null, eventId: e.dedupeKey }));
    }
    return out;
  }

  private async store(decision: AppliedDecision, at: Date, follow: boolean): Promise<void> {
    this.cases.set(decision.caseId, applyDecision(this.cases.get(decision.caseId), decision, at));
    if (follow) await this.followAll(decision.emits);
    else this.published.push(...decision.emits);
  }
}

export function expectApplied(decision: Decision): AppliedDecision {
  if (decision.kind !== 'applied') throw new Error(`expected applied, got ${decision.reasonCode}: ${decision.reason}`);
  return decision;
}
