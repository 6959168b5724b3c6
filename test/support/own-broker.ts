import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '@tongban/config';
import { childEnv } from '../../tools/stack/stack';

/**
 * A Kafka broker of the test's own (infra.sh with other ports and its own data and run folders), for
 * tests that kill the broker: the shared one on 9092 is never touched.
 */
export class OwnBroker {
  readonly dir: string;

  constructor(readonly port: number) {
    this.dir = join(tmpdir(), `tongban-test-broker-${port}`);
  }

  get brokers(): string[] {
    return [`127.0.0.1:${this.port}`];
  }

  infra(command: 'kafka-start' | 'kafka-stop' | 'kafka-kill'): Promise<void> {
    const env = childEnv(process.env, {
      TONGBAN_KAFKA_PORT: String(this.port),
      TONGBAN_KAFKA_CONTROLLER_PORT: String(this.port + 1),
      TONGBAN_KAFKA_DATA_DIR: join(this.dir, 'kafka'),
      TONGBAN_INFRA_RUN_DIR: join(this.dir, 'run'),
    });
    return new Promise((resolve, reject) => {
      const child = spawn('bash', [join(repoRoot(), 'infra/scripts/infra.sh'), command], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`infra.sh ${command} failed (${code}):\n${out}`))));
    });
  }

  async fresh(): Promise<void> {
    await this.infra('kafka-stop').catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
    await this.infra('kafka-start');
  }

  async remove(): Promise<void> {
    await this.infra('kafka-stop').catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
