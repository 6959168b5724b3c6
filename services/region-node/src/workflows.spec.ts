import { WorkingCalendar } from '@tongban/calendar';
import { GuardFailedError } from './casework/domain/casework.errors';
import type { CaseSnapshot, DecideContext, IncomingEvent } from './casework/domain/casework.types';
import { decide } from './casework/domain/engine';
import { deathNoticeFrom, reactToDeathNotice } from './casework/domain/reactions';
import { commonTransitions, followUp, TransitionSpec, WorkflowDefinition } from './casework/domain/state-machine';
import { composeWorkflows } from './casework/domain/workflow-registry';
import { text } from './casework/domain/values';
import { NODE_WORKFLOWS, NodeLookups } from './workflows';

/**
 * A fifth workflow as a folder would export it: a library card, asked for at the residence district and issued
 * by the hukou region. It needs a lookup of its own (a card the person already holds) and reacts to a death.
 */
const TOY_STATES = ['requested', 'issued', 'cancelled'] as const;
type ToyState = (typeof TOY_STATES)[number];
interface ToyLookups {
  cardOf(idNumber: string): string | undefined;
}

const toyTransitions: Record<string, TransitionSpec<ToyState, ToyLookups>> = {
  LibraryCardRequested: {
    from: 'opens-case',
    to: 'requested',
    senders: ['accepting'],
    opens: (event, payload) => ({
      acceptingDivision: event.sourceRegion,
      responsibleDivision: event.targetRegion,
      personKeys: [text(payload, 'idNumber')],
      data: { idNumber: text(payload, 'idNumber') },
    }),
    apply: async ({ payload, context }) => {
      const held = context.lookups.cardOf(text(payload, 'idNumber'));
      if (held) throw new GuardFailedError('CARD_HELD', `the person already holds card ${held}`, 'DUPLICATE_CASE');
      return {};
    },
  },
  LibraryCardIssued: { from: ['requested'], to: 'issued', senders: ['responsible'] },
  LibraryCardCancelled: { from: ['requested', 'issued'], to: 'cancelled', senders: ['accepting', 'responsible'] },
  ...commonTransitions<ToyState, ToyLookups>(),
};

const toyWorkflow: WorkflowDefinition<ToyState, ToyLookups> = {
  workflow: 'library-card',
  states: TOY_STATES,
  openStates: ['requested', 'issued'],
  terminalStates: ['cancelled'],
  transitions: toyTransitions,
  roleDivisions: (snapshot) => ({ accepting: [snapshot.acceptingDivision], responsible: [snapshot.responsibleDivision] }),
  timers: [
    {
      name: 'library-card.issue',
      activeIn: ['requested'],
      due: ({ enteredAt, calendar }) => calendar.deadline(enteredAt, { unit: 'working-days', amount: 5 }),
      mustAct: 'responsible',
      owner: 'accepting',
      escalateTo: ['responsible'],
      deadlineKind: 'OTHER',
      awaitedEventTypes: ['LibraryCardIssued'],
      onDue: { kind: 'breach' },
    },
  ],
  reactions: {
    onDeath: (notice, c) =>
      (['requested', 'issued'] as readonly string[]).includes(c.state)
        ? [
            followUp(
              c,
              'LibraryCardCancelled',
              c.acceptingDivision,
              c.responsibleDivision,
              {},
              notice.at,
              `death:${notice.deceasedIdNumber}:${c.caseId}`,
              notice.causationId,
            ),
          ]
        : [],
  },
};

const CHENGDU = '510104';
const DAZU = '500111';
const READER = '500111196804170022';
const now = new Date('2026-11-02T02:00:00Z');

function event(eventType: string, caseId: string, from: string, to: string, payload: Record<string, unknown> = {}): IncomingEvent {
  return { eventType, eventId: `${eventType}-${caseId}`, caseId, sourceRegion: from, targetRegion: to, occurredAt: now, payload };
}

describe('workflows as plug-ins', () => {
  it('composes the four workflows of the node, each event type owned by one of them', () => {
    expect(NODE_WORKFLOWS.definitions.map((d) => d.workflow)).toEqual(['disability-subsidy', 'marriage-registration', 'funeral-transfer', 'economic-check']);
    expect(NODE_WORKFLOWS.definitionForEventType('SubsidyApproved')?.workflow).toBe('disability-subsidy');
    expect(NODE_WORKFLOWS.definitionForEventType('CaseEventRejected')).toBeUndefined();
  });

  it('refuses two definitions claiming one event type', () => {
    const rival = { ...toyWorkflow, workflow: 'rival-card' };
    expect(() => composeWorkflows([toyWorkflow, rival])).toThrow(/LibraryCardRequested is claimed by two workflows \(library-card, rival-card\)/);
    const subsidyThief: WorkflowDefinition<ToyState> = {
      ...toyWorkflow,
      workflow: 'thief',
      transitions: { SubsidyApproved: { from: ['requested'], senders: ['responsible'] } },
    };
    expect(() => composeWorkflows([...NODE_WORKFLOWS.definitions, subsidyThief])).toThrow(
      /SubsidyApproved is claimed by two workflows \(disability-subsidy, thief\)/,
    );
  });

  it('refuses one workflow name defined twice', () => {
    const again = { ...toyWorkflow, transitions: commonTransitions<ToyState, ToyLookups>() };
    expect(() => composeWorkflows([toyWorkflow, again])).toThrow(/workflow library-card is defined twice/);
  });

  describe('a fifth workflow in a registry of its own, through decide', () => {
    const registry = composeWorkflows<NodeLookups & ToyLookups>([...NODE_WORKFLOWS.definitions, toyWorkflow]);
    const cards = new Map<string, string>();
    const context: DecideContext<NodeLookups & ToyLookups> = {
      workflows: registry,
      calendar: WorkingCalendar.china2026(),
      now,
      lookups: { casesOfPerson: () => [], spouseOf: () => undefined, cardOf: (id) => cards.get(id) },
    };

    it('is known beside the four, and its first event opens a case', () => {
      expect(registry.knownEventTypes()).toEqual(expect.arrayContaining(['LibraryCardRequested', 'LibraryCardIssued', 'SubsidyApproved', 'CaseEventRejected']));
      expect(registry.opensCase('LibraryCardRequested')).toBe(true);
      expect(registry.opensCase('LibraryCardIssued')).toBe(false);
    });

    it('opens, starts its timer on the waiting side, moves on an event of the right side and records the common events', async () => {
      const opened = await decide(undefined, event('LibraryCardRequested', 'LIB-1', CHENGDU, DAZU, { idNumber: READER }), context);
      expect(opened).toMatchObject({
        kind: 'applied',
        workflow: 'library-card',
        nextState: 'requested',
        caseUpdates: { acceptingDivision: CHENGDU, responsibleDivision: DAZU },
      });
      if (opened.kind !== 'applied') throw new Error('not applied');
      expect(opened.timers.start).toEqual([expect.objectContaining({ name: 'library-card.issue', ownerDivision: CHENGDU, mustActDivision: DAZU })]);

      const snapshot: CaseSnapshot = {
        caseId: 'LIB-1',
        workflow: 'library-card',
        state: 'requested',
        acceptingDivision: CHENGDU,
        responsibleDivision: DAZU,
        personKeys: [READER],
        timers: {},
        data: { idNumber: READER },
        openedAt: now.toISOString(),
        updatedAt: now.toISOString(),
      };
      expect(await decide(snapshot, event('LibraryCardIssued', 'LIB-1', CHENGDU, DAZU), context)).toMatchObject({
        kind: 'rejected',
        reasonCode: 'UNAUTHORISED_SENDER',
      });
      expect(await decide(snapshot, event('LibraryCardIssued', 'LIB-1', DAZU, CHENGDU), context)).toMatchObject({
        kind: 'applied',
        previousState: 'requested',
        nextState: 'issued',
      });
      expect(await decide({ ...snapshot, state: 'cancelled' }, event('LibraryCardIssued', 'LIB-1', DAZU, CHENGDU), context)).toMatchObject({
        kind: 'rejected',
        reasonCode: 'ILLEGAL_TRANSITION',
      });
      const breach = event('CaseDeadlineBreached', 'LIB-1', CHENGDU, DAZU, { deadline: 'OTHER', dueAt: now });
      expect(await decide(snapshot, breach, context)).toMatchObject({ kind: 'applied', nextState: 'requested' });
    });

    it('asks the lookup it declared', async () => {
      cards.set(READER, 'CARD-7');
      expect(await decide(undefined, event('LibraryCardRequested', 'LIB-2', CHENGDU, DAZU, { idNumber: READER }), context)).toMatchObject({
        kind: 'rejected',
        reasonCode: 'CARD_HELD',
      });
      cards.clear();
    });

    it('reacts to a death through the registry', () => {
      const card: CaseSnapshot = {
        caseId: 'LIB-3',
        workflow: 'library-card',
        state: 'issued',
        acceptingDivision: CHENGDU,
        responsibleDivision: DAZU,
        personKeys: [READER],
        timers: {},
        data: {},
        openedAt: now.toISOString(),
        updatedAt: now.toISOString(),
      };
      const death = event('DeathNoticeIssued', 'FUN-1', '510000', DAZU, {
        deceased: { idNumber: READER, name: '李秀英', hukouDivision: DAZU },
        deathDate: '2026-10-30',
      });
      expect(reactToDeathNotice(registry, deathNoticeFrom(death), [card]).map((e) => e.eventType)).toEqual(['LibraryCardCancelled']);
      expect(reactToDeathNotice(NODE_WORKFLOWS, deathNoticeFrom(death), [card])).toEqual([]);
    });

    it('is unknown to the node that did not plug it in', async () => {
      const nodeContext: DecideContext<NodeLookups> = { ...context, workflows: NODE_WORKFLOWS };
      expect(await decide(undefined, event('LibraryCardRequested', 'LIB-4', CHENGDU, DAZU, { idNumber: READER }), nodeContext)).toMatchObject({
        kind: 'rejected',
        reasonCode: 'UNKNOWN_EVENT_TYPE',
      });
    });
  });
});
