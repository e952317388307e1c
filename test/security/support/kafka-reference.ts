// Apache Kafka 4.x as the reference the SASL tests compare Stratus with: one broker
// (test/peers/kafka-broker.sh, KRaft, its own controller listener) with a PLAINTEXT listener
// for admin tools and a SASL_PLAINTEXT listener whose SASL settings each test gives.

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../support/stratus-process.ts';

const run = promisify(execFile);
const KAFKA_BROKER = join(import.meta.dirname, '..', '..', 'peers', 'kafka-broker.sh');

export class SaslKafkaReference {
  /** The broker's own directory (kafka-broker.sh keeps its data, log and pid there). */
  readonly home: string;
  readonly plainPort: number;
  readonly saslPort: number;
  readonly controllerPort: number;

  private constructor(home: string, plainPort: number, saslPort: number, controllerPort: number) {
    this.home = home;
    this.plainPort = plainPort;
    this.saslPort = saslPort;
    this.controllerPort = controllerPort;
  }

  /** Picks its free ports; nothing runs until start(). */
  static async at(home: string): Promise<SaslKafkaReference> {
    return new SaslKafkaReference(home, await freePort(), await freePort(), await freePort());
  }

  get plainBootstrap(): string {
    return `127.0.0.1:${this.plainPort}`;
  }

  get saslBootstrap(): string {
    return `127.0.0.1:${this.saslPort}`;
  }

  /**
   * Starts the broker with the listeners above and `saslProperties` (server.properties lines:
   * sasl.enabled.mechanisms, listener.name.sasl_plaintext.* JAAS settings, ...); `env` adds to
   * the script's environment (e.g. JAVA_TOOL_OPTIONS).
   */
  async start(saslProperties: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<void> {
    const props = [
      `listeners=PLAINTEXT://127.0.0.1:${this.plainPort},CONTROLLER://127.0.0.1:${this.controllerPort},SASL_PLAINTEXT://127.0.0.1:${this.saslPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${this.plainPort},SASL_PLAINTEXT://127.0.0.1:${this.saslPort}`,
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT',
      ...saslProperties,
    ].join('\n');
    await run('bash', [KAFKA_BROKER, 'start', this.home, String(this.plainPort), String(this.controllerPort)], { env: { ...process.env, KAFKA_BROKER_PROPS: props, ...env }, maxBuffer: 1 << 24 });
  }

  /** Stops the broker if it runs; a failure to stop one that never started is not an error. */
  async stop(): Promise<void> {
    await run('bash', [KAFKA_BROKER, 'stop', this.home]).catch(() => undefined);
  }
}
