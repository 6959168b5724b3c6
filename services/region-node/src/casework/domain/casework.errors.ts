import type { RejectionReasonCode } from '@tongban/avro';
import { TongbanError } from '@tongban/errors';

/** `reasonCode` values of the CaseEventRejected contract (generated from its schema). */
export type { RejectionReasonCode };

/**
 * A case rule refused an event. Never retriable: the same event against the same case is refused again.
 * `code` is our stable code; `rejectionCode` is the coarser one the CaseEventRejected contract carries.
 */
export class CaseRuleError extends TongbanError {
  constructor(
    code: string,
    message: string,
    readonly rejectionCode: RejectionReasonCode,
    readonly relatedCaseId?: string,
  ) {
    // Rule codes are the workflows' own (ILLEGAL_TRANSITION, REMAINS_IN_TRANSIT …), carried in CaseEventRejected.
    super(code, message, false, { kind: rejectionCode === 'VALIDATION_FAILED' ? 'Invalid' : 'Conflict' });
  }
}

/** The event is not allowed in the case's current state (or the case exists / does not exist). */
export class IllegalTransitionError extends CaseRuleError {
  constructor(message: string, code = 'ILLEGAL_TRANSITION') {
    super(code, message, 'ILLEGAL_TRANSITION');
  }
}

export class UnknownCaseError extends CaseRuleError {
  constructor(caseId: string, eventType: string) {
    super('UNKNOWN_CASE', `case ${caseId} does not exist, and ${eventType} does not open a case`, 'UNKNOWN_CASE');
  }
}

export class UnknownEventTypeError extends CaseRuleError {
  constructor(eventType: string) {
    super('UNKNOWN_EVENT_TYPE', `${eventType} is not an event of any tongban workflow`, 'OTHER');
  }
}

/** The sending region does not play a role that may send this event in this case. */
export class UnauthorisedSenderError extends CaseRuleError {
  /** `party` false: the sender plays no role in the case at all, and must learn nothing about it. */
  constructor(
    message: string,
    readonly party = true,
  ) {
    super('UNAUTHORISED_SENDER', message, 'NOT_RESPONSIBLE');
  }
}

/** An opening event whose case id names another opener (see caseIdOpenerProblem). */
export class CaseIdNotOwnedError extends CaseRuleError {
  constructor(message: string) {
    super('CASE_ID_NOT_OWNED', message, 'NOT_RESPONSIBLE');
  }
}

/** A business rule read from the payload and the case failed (age, duplicate, dates, months …). */
export class GuardFailedError extends CaseRuleError {
  constructor(code: string, message: string, rejectionCode: RejectionReasonCode = 'VALIDATION_FAILED', relatedCaseId?: string) {
    super(code, message, rejectionCode, relatedCaseId);
  }
}
