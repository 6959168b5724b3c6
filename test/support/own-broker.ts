import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SideBroker } from '../../tools/stack/side-broker';

/** A Kafka broker of the test's own, for tests that kill the broker: the shared one on 9092 is never touched. */
export class OwnBroker extends SideBroker {
  constructor(port: number) {
    super(port, join(tmpdir(), `tongban-test-broker-${port}`));
  }
}
