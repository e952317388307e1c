// `npm run cluster -- --tls` (startCluster's `tls`): a CA and certificates made with
// openssl into <dataDir>/tls, and the settings that make the controllers serve gRPC with
// mTLS — only the cluster CA's certificates named broker or stratus-admin may call
// (grpc.tls.allowedPrincipals) — and the brokers present their client certificate
// (controller.tls). The files stay with the cluster's data, so `stratus admin` can use
// admin.crt (see adminEnv) and a test can make more certificates from the same CA.
//
// Kafka listeners and the HTTP ports stay as they are: this is about controllers and who
// may reach them.

import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The certificate names (subject CN) the controllers accept. */
export const CLUSTER_TLS_PRINCIPALS = { broker: 'broker', admin: 'stratus-admin' } as const;

export interface ClusterTls {
  readonly dir: string;
  readonly caFile: string;
  /** STRATUS_* settings of every controller. */
  readonly controllerEnv: Readonly<Record<string, string>>;
  /** STRATUS_* settings of every broker. */
  readonly brokerEnv: Readonly<Record<string, string>>;
  /** STRATUS_CONTROLLER_TLS_* for `stratus admin` (it reads the broker's controller.* settings). */
  readonly adminEnv: Readonly<Record<string, string>>;
  /** Another key and certificate from the cluster CA, with the given CN and usage; returns its files. */
  issue(name: string, cn: string, usage: 'serverAuth' | 'clientAuth', san?: string): { certFile: string; keyFile: string };
}

const DAYS = '30';

/** Makes the CA and the controller, broker and admin certificates under `dataDir`/tls. */
export function makeClusterTls(dataDir: string): ClusterTls {
  const dir = join(dataDir, 'tls');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const openssl = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', DAYS, '-subj', '/O=stratus-cluster/CN=stratus-cluster-ca');
  const issue = (name: string, cn: string, usage: 'serverAuth' | 'clientAuth', san = `DNS:${cn}`): { certFile: string; keyFile: string } => {
    openssl('req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/O=stratus-cluster/CN=${cn}`);
    writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\nextendedKeyUsage=${usage}\n`);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', DAYS, '-extfile', `${name}.ext`);
    return { certFile: join(dir, `${name}.crt`), keyFile: join(dir, `${name}.key`) };
  };
  // Every controller serves the same certificate: they are all on loopback, reached by IP.
  const controller = issue('controller', 'controller', 'serverAuth', 'IP:127.0.0.1,DNS:localhost');
  const broker = issue('broker', CLUSTER_TLS_PRINCIPALS.broker, 'clientAuth');
  const admin = issue('admin', CLUSTER_TLS_PRINCIPALS.admin, 'clientAuth');
  const caFile = join(dir, 'ca.crt');
  return {
    dir,
    caFile,
    controllerEnv: {
      STRATUS_GRPC_TLS_CERT_FILE: controller.certFile,
      STRATUS_GRPC_TLS_KEY_FILE: controller.keyFile,
      STRATUS_GRPC_TLS_CA_FILE: caFile,
      STRATUS_GRPC_TLS_ALLOWED_PRINCIPALS: `${CLUSTER_TLS_PRINCIPALS.broker},${CLUSTER_TLS_PRINCIPALS.admin}`,
    },
    brokerEnv: { STRATUS_CONTROLLER_TLS_CA_FILE: caFile, STRATUS_CONTROLLER_TLS_CERT_FILE: broker.certFile, STRATUS_CONTROLLER_TLS_KEY_FILE: broker.keyFile },
    adminEnv: { STRATUS_CONTROLLER_TLS_CA_FILE: caFile, STRATUS_CONTROLLER_TLS_CERT_FILE: admin.certFile, STRATUS_CONTROLLER_TLS_KEY_FILE: admin.keyFile },
    issue,
  };
}
