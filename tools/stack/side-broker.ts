import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@tongban/config';
import { childEnv } from './stack';

/**
 * A Kafka broker beside the shared ones: the project's infra.sh run with its own ports (`port`, controller on
 * `port + 1`), data and run folders under `dir`, so that a run which kills or stops it disturbs no one else.
 */
export class SideBroker {
  readonly env: Record<string, string>;

  constructor(
    readonly port: number,
    readonly dir: string,
    extraEnv: Record<string, string> = {},
  ) {
    this.env = {
      TONGBAN_KAFKA_PORT: String(port),
      TONGBAN_KAFKA_CONTROLLER_PORT: String(port + 1),
      TONGBAN_KAFKA_DATA_DIR: join(dir, 'kafka'),
      TONGBAN_INFRA_RUN_DIR: join(dir, 'run'),
      ...extraEnv,
    };
  }

  get brokers(): string[] {
    return [`127.0.0.1:${this.port}`];
  }

  /** `infra.sh <command> [args]` against this broker; rejects with what the script printed. */
  infra(command: string, ...args: string[]): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn('bash', [join(repoRoot(), 'infra/scripts/infra.sh'), command, ...args], {
        env: childEnv(process.env, this.env),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`infra.sh ${[command, ...args].join(' ')} failed (${code}):\n${out}`))));
    });
  }

  /** Stops the broker (every node and mirror of what this side runs), keeping its data. */
  stop(): Promise<void> {
    return this.infra('kafka-stop');
  }

  /** Stops whatever ran there before, removes its data, starts it empty. */
  async fresh(): Promise<void> {
    await this.stop().catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
    await this.infra(this.startCommand);
  }

  /** The infra.sh command that starts what this side runs. */
  protected get startCommand(): string {
    return 'kafka-start';
  }

  /** kill -9 of the broker at once, without the script (for an owner that is exiting and cannot wait). */
  killNow(): void {
    try {
      const pid = Number(readFileSync(join(this.dir, 'run', 'kafka.pid'), 'utf8').trim());
      if (pid > 0) process.kill(pid, 'SIGKILL');
    } catch {
      // no pid file, or the broker is already gone
    }
  }

  async remove(): Promise<void> {
    await this.stop().catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
