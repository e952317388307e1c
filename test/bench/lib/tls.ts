// TLS for the `kafka-ssl` and `stratus-ssl` systems (issue 13: the cost of TLS, W1 over SSL
// against PLAINTEXT). A CA and a broker certificate for 127.0.0.1 are made with openssl in
// a directory of the run (never committed); both brokers serve the same certificate from
// PEM files, and every client trusts the CA:
//   Kafka    its listener named PLAINTEXT mapped to the SSL protocol (listener.security.protocol.map),
//            ssl.keystore.type=PEM with the key and chain in one file, the CA as a PEM truststore
//            (the broker is its own inter-broker client)
//   Stratus  the same mapping (kafka.listenerSecurityProtocolMap) and kafka.ssl.certFile / keyFile
//   clients  security.protocol=SSL, ssl.truststore.type=PEM — Kafka's tools; kafkajs (topic set-up)
//            with the CA
// No client certificates: the server side of TLS is what every SSL deployment pays.

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface BenchTls {
  readonly dir: string;
  readonly caFile: string;
  /** Kafka's server.properties lines (KAFKA_BROKER_PROPS of test/peers/kafka-broker.sh). */
  readonly kafkaBrokerProps: string;
  /** STRATUS_* of `stratus dev`. */
  readonly stratusEnv: Readonly<Record<string, string>>;
  /** The Kafka client settings every tool adds. */
  readonly clientProps: Readonly<Record<string, string>>;
  /** kafkajs's `ssl` option. */
  readonly kafkajsSsl: { readonly ca: string[] };
}

/** Makes the CA and the broker certificate in `dir` (created). */
export function makeBenchTls(dir: string): BenchTls {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const openssl = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '7', '-subj', '/CN=stratus-bench-ca');
  openssl('req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'broker.key', '-out', 'broker.csr', '-subj', '/CN=bench-broker');
  writeFileSync(join(dir, 'broker.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  openssl('x509', '-req', '-in', 'broker.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'broker.crt', '-days', '7', '-extfile', 'broker.ext');
  const caFile = join(dir, 'ca.crt');
  const certFile = join(dir, 'broker.crt');
  const keyFile = join(dir, 'broker.key');
  // Kafka's PEM keystore file: the (unencrypted PKCS#8) key, then the certificate chain.
  const keystore = join(dir, 'kafka-keystore.pem');
  writeFileSync(keystore, readFileSync(keyFile, 'utf8') + readFileSync(certFile, 'utf8'));
  return {
    dir,
    caFile,
    kafkaBrokerProps: [
      'listener.security.protocol.map=PLAINTEXT:SSL,CONTROLLER:PLAINTEXT',
      'ssl.keystore.type=PEM',
      `ssl.keystore.location=${keystore}`,
      'ssl.truststore.type=PEM',
      `ssl.truststore.location=${caFile}`,
    ].join('\n'),
    stratusEnv: { STRATUS_KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'PLAINTEXT:SSL', STRATUS_KAFKA_SSL_CERT_FILE: certFile, STRATUS_KAFKA_SSL_KEY_FILE: keyFile },
    clientProps: { 'security.protocol': 'SSL', 'ssl.truststore.type': 'PEM', 'ssl.truststore.location': caFile },
    kafkajsSsl: { ca: [readFileSync(caFile, 'utf8')] },
  };
}
