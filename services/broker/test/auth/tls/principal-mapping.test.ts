// Kafka's SslPrincipalMapperTest, case for case (clients/src/test/.../SslPrincipalMapperTest.java),
// plus the example of Kafka's documentation (ssl.principal.mapping.rules) and the subject
// strings node:crypto gives for real openssl-made certificates.

import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { NoMatchingRuleError, SslPrincipalMapper } from '../../../src/auth/tls/principal-mapping.ts';
import { rfc2253Subject } from '../../../src/auth/tls/subject-name.ts';
import { makeCertificate, makeTestCa } from '../../support/tls-certs.ts';

describe('SslPrincipalMapper (Kafka\'s rule syntax)', () => {
  it('accepts the rules Kafka accepts', () => {
    for (const rules of [
      'DEFAULT',
      'RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/',
      'RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L, DEFAULT',
      'RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/',
      'RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/L',
      'RULE:^cn=(.?),ou=(.?),dc=(.?),dc=(.?)$/$1@$2/U',
      'RULE:^CN=([^,ADEFLTU,]+)(,.*|$)/$1/',
      'RULE:^CN=([^,DEFAULT,]+)(,.*|$)/$1/',
    ]) {
      expect(() => new SslPrincipalMapper(rules), rules).not.toThrow();
    }
  });

  it('refuses the rules Kafka refuses', () => {
    for (const rules of [
      'default',
      'DEFAUL',
      'DEFAULT/L',
      'DEFAULT/U',
      'RULE:CN=(.*?),OU=ServiceUsers.*/$1',
      'rule:^CN=(.*?),OU=ServiceUsers.*$/$1/',
      'RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L/U',
      'RULE:^CN=(.*?),OU=ServiceUsers.*$/L',
      'RULE:^CN=(.*?),OU=ServiceUsers.*$/U',
      'RULE:^CN=(.*?),OU=ServiceUsers.*$/LU',
    ]) {
      expect(() => new SslPrincipalMapper(rules), rules).toThrow(RangeError);
    }
  });

  it('maps names as Kafka does', () => {
    const mapper = new SslPrincipalMapper(
      [
        'RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L',
        'RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/L',
        'RULE:^cn=(.*?),ou=(.*?),dc=(.*?),dc=(.*?)$/$1@$2/U',
        'RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/U',
        'DEFAULT',
      ].join(', '),
    );
    expect(mapper.name('CN=Duke,OU=ServiceUsers,O=Org,C=US')).toBe('duke');
    expect(mapper.name('CN=Duke,OU=SME,O=mycp,L=Fulton,ST=MD,C=US')).toBe('duke@sme');
    expect(mapper.name('cn=duke,ou=sme,dc=mycp,dc=com')).toBe('DUKE@SME');
    expect(mapper.name('cN=duke,OU=JavaSoft,O=Sun Microsystems')).toBe('DUKE');
    expect(mapper.name('OU=JavaSoft,O=Sun Microsystems,C=US')).toBe('OU=JavaSoft,O=Sun Microsystems,C=US');
  });

  it('splits rules as Kafka does (its toString, seeing is believing)', () => {
    const cases: [string, string][] = [
      ['[]', ''],
      ['[DEFAULT]', 'DEFAULT'],
      ['[RULE:/]', 'RULE://'],
      ['[RULE:/.*]', 'RULE:/.*/'],
      ['[RULE:/.*/L]', 'RULE:/.*/L'],
      ['[RULE:/, DEFAULT]', 'RULE://,DEFAULT'],
      ['[RULE:/, DEFAULT]', '  RULE:// ,  DEFAULT  '],
      ['[RULE:   /     , DEFAULT]', '  RULE:   /     / ,  DEFAULT  '],
      ['[RULE:  /     /U, DEFAULT]', '  RULE:  /     /U   ,DEFAULT  '],
      ['[RULE:([A-Z]*)/$1/U, RULE:([a-z]+)/$1, DEFAULT]', '  RULE:([A-Z]*)/$1/U   ,RULE:([a-z]+)/$1/,   DEFAULT  '],
      ['[]', ',   , , ,      , , ,   '],
      ['[RULE:/, DEFAULT]', ',,RULE://,,,DEFAULT,,'],
      ['[RULE: /   , DEFAULT]', ',  , RULE: /   /    ,,,   DEFAULT, ,   '],
      ['[RULE:   /  /U, DEFAULT]', '     ,  , RULE:   /  /U    ,,  ,DEFAULT, ,'],
      [String.raw`[RULE:\/\\\(\)\n\t/\/\/]`, String.raw`RULE:\/\\\(\)\n\t/\/\//`],
      [String.raw`[RULE:\**\/+/*/L, RULE:\/*\**/**]`, String.raw`RULE:\**\/+/*/L,RULE:\/*\**/**/`],
      [
        String.raw`[RULE:,RULE:,/,RULE:,\//U, RULE:,/RULE:,, RULE:,RULE:,/L,RULE:,/L, RULE:, DEFAULT, /DEFAULT, DEFAULT]`,
        String.raw`RULE:,RULE:,/,RULE:,\//U,RULE:,/RULE:,/,RULE:,RULE:,/L,RULE:,/L,RULE:, DEFAULT, /DEFAULT/,DEFAULT`,
      ],
    ];
    for (const [expected, rules] of cases) expect(new SslPrincipalMapper(rules).toString(), rules).toBe(`SslPrincipalMapper(rules = ${expected})`);
  });

  it('keeps an escaped comma in a name (Kafka\'s testCommaWithWhitespace)', () => {
    const mapper = new SslPrincipalMapper(String.raw`RULE:^CN=((\\, *|\w)+)(,.*|$)/$1/,DEFAULT`);
    expect(mapper.name(String.raw`CN=Tkac\, Adam,OU=ITZ,DC=geodis,DC=cz`)).toBe(String.raw`Tkac\, Adam`);
  });

  it('the example of Kafka\'s documentation', () => {
    const mapper = new SslPrincipalMapper('RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/,RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/L,RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/L,DEFAULT');
    expect(mapper.name('CN=serviceuser,OU=ServiceUsers,O=Unknown,L=Unknown,ST=Unknown,C=Unknown')).toBe('serviceuser');
    expect(mapper.name('CN=adminUser,OU=Admin,O=Unknown,L=Unknown,ST=Unknown,C=Unknown')).toBe('adminuser@admin');
  });

  it('a group past the pattern\'s groups is literal; no rule matching is an error', () => {
    expect(new SslPrincipalMapper('RULE:^CN=(.*?),.*$/$1-$2/').name('CN=a,O=b')).toBe('a-$2');
    expect(new SslPrincipalMapper('RULE:^CN=(.*?),.*$/$10/').name('CN=a,O=b')).toBe('a0');
    expect(new SslPrincipalMapper(String.raw`RULE:^CN=(.*?),.*$/\$1/`).name('CN=a,O=b')).toBe('$1');
    expect(() => new SslPrincipalMapper('RULE:^CN=(.*?),OU=x$/$1/').name('CN=a,O=b')).toThrow(NoMatchingRuleError);
    expect(new SslPrincipalMapper('RULE:(?i)^cn=([a-z]+),.*$/$1/U').name('CN=abc,O=b')).toBe('ABC');
  });
});

describe('rfc2253Subject', () => {
  it('is what openssl -nameopt RFC2253 and Java\'s X500Principal write, for a real certificate', async () => {
    const ca = await makeTestCa();
    const cert = await makeCertificate(ca, { name: 'odd', subject: '/C=US/O=Acme, Inc./OU=Ops/CN=Tkac, Adam/emailAddress=x@y.z' });
    const x509 = new X509Certificate(cert.certPem);
    // Java writes emailAddress (not an RFC 2253 keyword) as its OID with the DER value in hex.
    expect(rfc2253Subject(x509.subject)).toBe(String.raw`1.2.840.113549.1.9.1=#1605784079 2e7a,CN=Tkac\, Adam,OU=Ops,O=Acme\, Inc.,C=US`.replace(' ', ''));
    expect(rfc2253Subject('C=US\nO=Org\nCN=Duke')).toBe('CN=Duke,O=Org,C=US');
    expect(rfc2253Subject('CN=a + UID=b')).toBe('CN=a+UID=b');
    await ca.dispose();
  });

  it('is byte for byte what Java\'s X500Principal.getName() (what Kafka maps) gives for the same certificates', async () => {
    const ca = await makeTestCa();
    const subjects = [
      '/C=US/O=Acme, Inc./OU=Ops/CN=Tkac, Adam/emailAddress=x@y.z',
      '/C=US/ST=CA/L=SF/O=Example/OU=ServiceUsers/CN=Tkac "Adam" <x>;/DC=example/UID=u1',
      '/CN= leading space and trailing #/O=#hash',
      '/CN=a=b#c é',
    ];
    const files: string[] = [];
    for (const [i, subject] of subjects.entries()) files.push((await makeCertificate(ca, { name: `dn-${i}`, subject })).certFile);
    const source = join(ca.dir, 'SubjectName.java');
    writeFileSync(
      source,
      [
        'import java.io.FileInputStream;',
        'import java.security.cert.CertificateFactory;',
        'import java.security.cert.X509Certificate;',
        'public class SubjectName { public static void main(String[] files) throws Exception {',
        '  for (String f : files) { X509Certificate c = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new FileInputStream(f));',
        '    System.out.println(c.getSubjectX500Principal().getName()); } } }',
      ].join('\n'),
    );
    const { stdout } = await promisify(execFile)('java', [source, ...files]);
    const ours = files.map((f) => rfc2253Subject(new X509Certificate(readFileSync(f)).subject));
    expect(ours).toEqual(stdout.trimEnd().split('\n'));
    await ca.dispose();
  }, 60_000);
});
