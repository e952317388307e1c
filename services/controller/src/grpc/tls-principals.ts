// Who may call the controller over mTLS: with grpc.tls.allowedPrincipals, only clients
// whose certificate's subject Common Name is listed — the brokers' and operators'
// certificates, not every certificate the cluster CA ever signed (a CA shared with other
// services, or one that also signs Kafka clients' certificates). Checked per call, on the
// certificate the connection's TLS handshake verified, before the call's handler sees it:
//   no client certificate            UNAUTHENTICATED
//   a certificate whose CN is absent PERMISSION_DENIED
// The health service is behind it too: a prober that can reach the port must hold a
// certificate as well (Kubernetes probes use the HTTP port's /readyz instead).

import { ServerInterceptingCall, status } from '@grpc/grpc-js';
import type { ServerInterceptingCallInterface, ServerInterceptor } from '@grpc/grpc-js';
import type { PeerCertificate } from 'node:tls';

/** The principal a client certificate names: its subject's CN (the first, when several), or null. */
export function certificatePrincipal(cert: PeerCertificate | undefined): string | null {
  if (cert === undefined || cert.subject === undefined) return null;
  const cn = (cert.subject as unknown as Record<string, string | string[] | undefined>)['CN'];
  if (cn === undefined) return null;
  return Array.isArray(cn) ? (cn[0] ?? null) : cn;
}

/** The refusal for a call on a connection whose certificate is `cert`, or null when it may proceed. */
export function refusal(cert: PeerCertificate | undefined, allowed: ReadonlySet<string>): { code: status; details: string } | null {
  // Node gives an empty object when the client sent no certificate.
  if (cert === undefined || cert.raw === undefined) return { code: status.UNAUTHENTICATED, details: 'the controller requires a client certificate (grpc.tls.allowedPrincipals)' };
  const principal = certificatePrincipal(cert);
  if (principal !== null && allowed.has(principal)) return null;
  return { code: status.PERMISSION_DENIED, details: `client certificate ${principal === null ? 'without a CN' : `CN=${principal}`} is not in the controller's grpc.tls.allowedPrincipals` };
}

export function allowedPrincipalsInterceptor(principals: readonly string[]): ServerInterceptor {
  const allowed = new Set(principals);
  return (_method, call: ServerInterceptingCallInterface) => {
    const refused = refusal(call.getAuthContext().sslPeerCertificate, allowed);
    return new ServerInterceptingCall(call, {
      start: (next) => {
        next({
          onReceiveMetadata: (metadata, mdNext) => {
            if (refused === null) mdNext(metadata);
            else call.sendStatus(refused);
          },
        });
      },
    });
  };
}
