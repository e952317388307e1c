// SCRAM's server side against the RFCs' own exchanges: RFC 7677 §3 (SCRAM-SHA-256) and
// RFC 5802 §5 (SCRAM-SHA-1: not a mechanism the broker offers, but the same code with
// SHA-1, so the RFC's bytes check it), and SHA-512 round trips with an independent client.

import { describe, expect, it } from 'vitest';
import { parseClientFirst, passwordMatches, scramCredential, ScramError, ScramServerExchange } from '../../../src/auth/sasl/scram.ts';
import { ScramClient } from './scram-client.ts';

describe('SCRAM server', () => {
  it('RFC 7677 §3: SCRAM-SHA-256 exchange, byte for byte', () => {
    const credential = scramCredential('sha256', 'pencil', Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'), 4096);
    const first = parseClientFirst('n,,n=user,r=rOprNGfwEbeRWgbNEkqO');
    const exchange = new ScramServerExchange(first, credential, { hash: 'sha256', serverNonce: () => '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0' });
    expect(exchange.serverFirst).toBe('r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096');
    const serverFinal = exchange.finish('c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=');
    expect(serverFinal).toBe('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
  });

  it('RFC 5802 §5: the SHA-1 example through the same code', () => {
    const credential = scramCredential('sha1', 'pencil', Buffer.from('QSXCR+Q6sek8bf92', 'base64'), 4096);
    const exchange = new ScramServerExchange(parseClientFirst('n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL'), credential, { hash: 'sha1', serverNonce: () => '3rfcNHYJY1ZVvWVs7j' });
    expect(exchange.serverFirst).toBe('r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096');
    expect(exchange.finish('c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=')).toBe('v=rmF9pqV8S7suAoZWja4dJRkFsKQ=');
  });

  it('RFC 7677 §3 with one bit of the proof flipped is refused', () => {
    const credential = scramCredential('sha256', 'pencil', Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'), 4096);
    const exchange = new ScramServerExchange(parseClientFirst('n,,n=user,r=rOprNGfwEbeRWgbNEkqO'), credential, { hash: 'sha256', serverNonce: () => '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0' });
    const proof = Buffer.from('dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=', 'base64');
    proof[0]! ^= 1;
    expect(() => exchange.finish(`c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=${proof.toString('base64')}`)).toThrow(ScramError);
  });

  it('SCRAM-SHA-512 round trip with random salt and nonce; a wrong password, a changed nonce and another channel binding fail', () => {
    const credential = scramCredential('sha512', 's3cret-pass', Buffer.from('0123456789abcdef0123456789abcdef'), 4096);
    const run = (password: string, tamper: (final: string) => string = (f) => f, repeatNonce = false) => {
      const client = new ScramClient('sha512', 'alice,=x', 's3cret-pass', 'clientnonce123');
      const first = parseClientFirst(client.first());
      expect(first.user).toBe('alice,=x');
      const exchange = new ScramServerExchange(first, credential, { hash: 'sha512' });
      const serverFinal = exchange.finish(tamper(client.final(exchange.serverFirst, password, repeatNonce)));
      expect(serverFinal).toBe(client.expectedServerFinal());
    };
    run('s3cret-pass');
    run('s3cret-pass', undefined, true); // librdkafka's nonce (its own once more in front), which Kafka accepts
    expect(() => run('wrong-pass')).toThrow(ScramError);
    expect(() => run('s3cret-pass', (f) => f.replace(/r=([^,]*)/, 'r=$1x'))).toThrow(/nonce/);
    expect(() => run('s3cret-pass', (f) => f.replace(/r=([^,]*)/, (_, n: string) => `r=${n.slice(0, -1)}`))).toThrow(/nonce/);
    expect(() => run('s3cret-pass', (f) => f.replace('c=biws', 'c=eSws'))).toThrow(/channel binding/);
  });

  it('refuses malformed and unsupported client-first messages', () => {
    for (const bad of ['p=tls-unique,,n=u,r=x', 'n,,r=x,n=u', 'n,,n=u', 'x,,n=u,r=n', 'n,,n=a=b,r=x', 'n,,m=ext,n=u,r=x', 'n,,n=u,r=x,tokenauth=true', 'n,a=other,n=u,r=x']) {
      expect(() => parseClientFirst(bad), bad).toThrow(ScramError);
    }
    expect(parseClientFirst('n,a=u,n=u,r=x').user).toBe('u');
  });

  it('refuses fewer than 4096 iterations when making a credential', () => {
    expect(() => scramCredential('sha256', 'pencil', Buffer.alloc(16), 4095)).toThrow(/4096/);
  });

  it('checks a PLAIN password against the SCRAM credential', async () => {
    const credential = scramCredential('sha512', 'pencil', Buffer.alloc(32, 7), 4096);
    expect(await passwordMatches('sha512', credential, 'pencil')).toBe(true);
    expect(await passwordMatches('sha512', credential, 'pencil ')).toBe(false);
  });
});
