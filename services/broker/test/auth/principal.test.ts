import { describe, expect, it } from 'vitest';
import { ANONYMOUS, ConnectionSession, parsePrincipal, principalString } from '../../src/auth/principal.ts';

describe('KafkaPrincipal', () => {
  it('writes and parses TYPE:NAME as Kafka does (the name may hold colons)', () => {
    expect(principalString(ANONYMOUS)).toBe('User:ANONYMOUS');
    expect(parsePrincipal('User:alice')).toEqual({ type: 'User', name: 'alice' });
    expect(parsePrincipal('User:CN=a:b,O=c')).toEqual({ type: 'User', name: 'CN=a:b,O=c' });
    for (const bad of ['alice', ':alice', 'User:']) expect(() => parsePrincipal(bad)).toThrow(/TYPE:NAME/);
  });

  it('a new connection session is anonymous and unauthenticated', () => {
    const s = new ConnectionSession();
    expect(s.principal).toBe(ANONYMOUS);
    expect(s.saslMechanism).toBeUndefined();
  });
});
