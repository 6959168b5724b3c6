import { WorkingCalendar } from '@tongban/calendar';
import { checkCharacter } from '@tongban/regions';
import type { AppliedDecision, CaseSnapshot, DecideContext, Decision, FollowUpEvent, IncomingEvent, KnownDeath, KnownSpouse } from './casework.types';
import { applyDecision, decide, decideTimer } from './engine';
import { NODE_WORKFLOWS, NodeLookups } from '../../workflows';
import {
  deathNoticeFrom,
  deathNoticesFor,
  householdChangeFor,
  knownDeathFrom,
  MaritalRecord,
  maritalRecordFrom,
  reactToDeathByRecords,
  reactToDeathNotice,
  reactToHouseholdChange,
} from './reactions';
import type { WorkflowRegistry } from './workflow-registry';

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
  /** Deaths known to the nodes (registered or noticed), as the node's known_deaths table keeps them. */
  readonly deaths = new Map<string, KnownDeath>();
  /** Marital records held by the record regions, as the node's marital_records table keeps them. */
  readonly records = new Map<string, MaritalRecord>();
  /** Current spouses, as the node's household_links keep them. */
  readonly spouses = new Map<string, KnownSpouse>();
  private readonly followed = new Set<string>();
  calendar = WorkingCalendar.china2026();
  now = new Date('2026-11-02T02:00:00Z');
  private seq = 0;

  /** The node's four workflows unless a spec plugs in its own. */
  constructor(readonly workflows: WorkflowRegistry<NodeLookups> = NODE_WORKFLOWS) {}

  context(): DecideContext<NodeLookups> {
    return {
      workflows: this.workflows,
      calendar: this.calendar,
      now: this.now,
      lookups: {
        // Answered from the one store, as the node's database answers them: the rules stay in the domain.
        casesOfPerson: (idNumber, workflow) =>
          [...this.cases.values()].filter((c) => c.personKeys.includes(idNumber) && (!workflow || c.workflow === workflow)),
        deathOf: (idNumber) => this.deaths.get(idNumber),
        spouseOf: (idNumber) => this.spouses.get(idNumber),
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
    const held = this.cases.get(incoming.caseId);
    const decision = await decide(held, incoming, this.context());
    if (decision.kind === 'applied') await this.store(decision, new Date(incoming.occurredAt as Date), options.follow ?? true);
    await this.remember(incoming, decision, options.follow ?? true);
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
      // The same cause gives the same event id: a receiving node applies it once.
      if (this.followed.has(e.dedupeKey)) continue;
      this.followed.add(e.dedupeKey);
      this.published.push(e);
      out.push(await this.send({ ...e, sourceOffice: e.sourceOffice ?? null, eventId: e.dedupeKey }));
    }
    return out;
  }

  /** What the node service does beside the case: remember deaths and marital records, react to a death. */
  private async remember(incoming: IncomingEvent, decision: Decision, follow: boolean): Promise<void> {
    const record = maritalRecordFrom(this.workflows, incoming, this.cases.get(incoming.caseId));
    if (record && (decision.kind === 'applied' || decision.reasonCode === 'UNKNOWN_CASE')) this.records.set(record.idNumber, record);
    const household =
      decision.kind === 'applied' || (incoming.eventType === 'MarriageRecordUpdated' && decision.reasonCode === 'UNKNOWN_CASE')
        ? householdChangeFor(this.workflows, incoming, this.cases.get(incoming.caseId))
        : undefined;
    if (household?.persons) {
      const [a, b] = household.persons;
      for (const [p, q] of [
        [a, b],
        [b, a],
      ]) {
        if (household.kind === 'spouses-joined') this.spouses.set(p.idNumber, { ...q, since: household.effectiveOn, caseId: household.caseId });
        else if (this.spouses.get(p.idNumber)?.idNumber === q.idNumber) this.spouses.delete(p.idNumber);
      }
      const flags = reactToHouseholdChange(this.workflows, household, [...this.cases.values()], new Date(incoming.occurredAt as Date), {}, incoming.eventId);
      if (follow) await this.followAll(flags);
      else this.published.push(...flags);
    }
    const death = knownDeathFrom(incoming);
    const registered = incoming.eventType === 'DeathRegistered' && decision.kind === 'applied';
    if (!death || (!registered && incoming.eventType !== 'DeathNoticeIssued')) return;
    const notice = deathNoticeFrom(incoming);
    if (!this.deaths.has(notice.deceasedIdNumber)) this.deaths.set(notice.deceasedIdNumber, death);
    const personCases = [...this.cases.values()].filter((c) => c.personKeys.includes(notice.deceasedIdNumber));
    const reactions = [
      ...reactToDeathNotice(this.workflows, notice, personCases),
      ...reactToDeathByRecords(notice, [...this.records.values()]),
      ...(registered ? deathNoticesFor(this.workflows, this.get(incoming.caseId), personCases, notice) : []),
    ];
    if (follow) await this.followAll(reactions);
    else this.published.push(...reactions);
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
