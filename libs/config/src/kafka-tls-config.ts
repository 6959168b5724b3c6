import { EnvReader } from './env-reader';

/** TLS towards the Kafka brokers: off for the province's own loopback listener, on for a SASL_SSL listener. */
export interface KafkaTlsConfig {
  enabled: boolean;
  /** PEM file of the CA that signed the brokers' certificates; without it the system's CAs are trusted. */
  caFile?: string;
}

/**
 * TONGBAN_KAFKA_SSL (true/false, default false) and TONGBAN_KAFKA_SSL_CA_FILE. The host name is always
 * checked against the broker's certificate; there is no switch to turn that off.
 */
export function readKafkaTlsConfig(env: EnvReader): KafkaTlsConfig {
  const caFile = env.optional('TONGBAN_KAFKA_SSL_CA_FILE');
  const enabled = env.bool('TONGBAN_KAFKA_SSL', caFile !== undefined);
  if (caFile !== undefined && !enabled) {
    env.fail(`TONGBAN_KAFKA_SSL_CA_FILE is set ("${caFile}") but TONGBAN_KAFKA_SSL is false; set TONGBAN_KAFKA_SSL=true or remove the CA file`);
  }
  return caFile !== undefined && enabled ? { enabled, caFile } : { enabled };
}

/** The Kafka TLS settings of this process's environment; throws a ConfigError naming a bad variable. */
export function kafkaTlsConfig(env: Record<string, string | undefined> = process.env): KafkaTlsConfig {
  const reader = new EnvReader(env);
  const config = readKafkaTlsConfig(reader);
  reader.done();
  return config;
}
