// One SASL request at a time per connection. The dispatcher serves a connection's
// requests concurrently, but a SASL exchange is a conversation: Kafka's
// SaslServerAuthenticator reads one request, answers it, then reads the next. Without
// this, frames pipelined behind a failing SaslAuthenticate — password guesses — were each
// checked against the credential while the first was still being checked (PLAIN's PBKDF2
// is asynchronous), all answered, and a right guess among them authenticated the
// connection that had just failed: the failure delay, the close after a failure and the
// per-address limit were all side-stepped (found by test/fuzz/sasl-fuzz.test.ts).
// Each SaslHandshake and SaslAuthenticate now waits for the connection's previous one and
// is then let through the gate again, so what follows a failure is closed unanswered.

/** The unfinished SASL request of each connection, by its session. */
const pending = new WeakMap<object, Promise<unknown>>();

/**
 * Runs `step` once the connection's earlier SASL steps have finished (successfully or
 * not) — at once, synchronously, when none is unfinished, so that a step's effect on the
 * connection's state is there for the gate of the request read right after it. `key`
 * identifies the connection (its ConnectionSession); without one, at once.
 */
export function inTurn<T>(key: object | undefined, step: () => T | Promise<T>): Promise<T> {
  const before = key === undefined ? undefined : pending.get(key);
  const run = before === undefined ? now(step) : before.then(step, step);
  if (key === undefined) return run;
  const settled: Promise<unknown> = run.then(
    () => undefined,
    () => undefined,
  );
  pending.set(key, settled);
  // The last one done: the next step need not wait.
  void settled.then(() => {
    if (pending.get(key) === settled) pending.delete(key);
  });
  return run;
}

function now<T>(step: () => T | Promise<T>): Promise<T> {
  try {
    return Promise.resolve(step());
  } catch (e) {
    return Promise.reject(e as Error);
  }
}
