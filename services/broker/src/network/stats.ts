// Counters of the Kafka listener. Connections bump plain fields on one shared object
// (no per-event allocation); KafkaServer.stats() hands out a frozen snapshot with the
// gauges that are cheaper to compute on demand.

export interface KafkaServerStats {
  /** Gauge: connections accepted and not yet closed. */
  readonly connectionsOpen: number;
  /** Gauge: connectionsOpen by the listener that accepted them (every listener, 0 included). */
  readonly connectionsOpenByListener: Readonly<Record<string, number>>;
  readonly connectionsAccepted: number;
  /** Closed on accept: over maxConnections, or the server is shutting down. */
  readonly connectionsRefused: number;
  /** Closed on accept: their address was at maxConnectionsPerIp (or its override). */
  readonly connectionsRefusedPerIp: number;
  /** Closed by the idle timeout. */
  readonly connectionsIdleClosed: number;
  /** Closed because a request's body did not arrive within requestReceiveTimeoutMs. */
  readonly connectionsReceiveTimedOut: number;
  /** Closed because the client took none of its answers' bytes for responseStallTimeoutMs. */
  readonly connectionsResponseStalled: number;
  /** Requests handed to dispatch. */
  readonly framesIn: number;
  /** 'response' results written. */
  readonly responsesOut: number;
  /** 'none' results (acks=0): a slot in the order, nothing written. */
  readonly responsesNone: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Frames whose size prefix was negative or above socketRequestMaxBytes. */
  readonly oversizedFrames: number;
  /** Times a connection stopped reading (budgets, in-flight limit, slow reader). */
  readonly readPauses: number;
  /** Gauge: connections currently not reading. */
  readonly connectionsReadPaused: number;
  /** Gauge: requests dispatched whose response has not been written yet. */
  readonly inFlightRequests: number;
  /** Gauge: request bytes held against the shared budget. */
  readonly inFlightBytes: number;
  /** Gauge: the part of inFlightBytes held by small requests. */
  readonly inFlightSmallBytes: number;
  /** Gauge: connections waiting for the shared request budget. */
  readonly inFlightWaiting: number;
  /** Gauge: response bytes reserved, or written and not yet taken by the kernel. */
  readonly responseBytes: number;
  /** Gauge: requests waiting for the shared response budget. */
  readonly responseWaiting: number;
  /** Gauge: received bytes not yet handed to dispatch, over all connections. */
  readonly bufferedBytes: number;
  /** Dispatch rejected or returned something that is not a DispatchResult. */
  readonly dispatchFailures: number;
  /** Socket errors (ECONNRESET, EPIPE, ...): each closed only its connection. */
  readonly socketErrors: number;
  /** Errors from the listening socket after listen() (EMFILE on accept, ...). */
  readonly acceptErrors: number;
  /** TLS listeners: connections whose handshake failed (not TLS, certificate refused, no mapping rule, closed midway). */
  readonly tlsHandshakeFailures: number;
  /** TLS listeners: connections closed because the handshake did not finish within tlsHandshakeTimeoutMs. */
  readonly tlsHandshakeTimeouts: number;
  /** Plaintext listeners: connections whose first bytes were a TLS handshake (a TLS client on the wrong port). */
  readonly tlsOnPlaintext: number;
}

/** The monotonic counters; gauges are filled in by the server. */
export class Counters {
  connectionsAccepted = 0;
  connectionsRefused = 0;
  connectionsRefusedPerIp = 0;
  connectionsIdleClosed = 0;
  connectionsReceiveTimedOut = 0;
  connectionsResponseStalled = 0;
  framesIn = 0;
  responsesOut = 0;
  responsesNone = 0;
  bytesIn = 0;
  bytesOut = 0;
  oversizedFrames = 0;
  readPauses = 0;
  connectionsReadPaused = 0;
  inFlightRequests = 0;
  dispatchFailures = 0;
  socketErrors = 0;
  acceptErrors = 0;
  tlsHandshakeFailures = 0;
  tlsHandshakeTimeouts = 0;
  tlsOnPlaintext = 0;
}
