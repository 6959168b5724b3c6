import { TongbanError } from '@tongban/errors';

export class NoHandlerError extends TongbanError {
  constructor(eventType: string) {
    super('KAFKA.NO_HANDLER', `this node has no handler for ${eventType}`);
  }
}

/**
 * A message whose work waited for an unreachable dependency when the transport closed: its offset is
 * not committed, so the next owner of the partition does it again.
 */
export class WorkInterruptedError extends TongbanError {
  constructor() {
    super('KAFKA.WORK_INTERRUPTED', 'the transport closed while a dependency was unavailable', true);
  }
}
