// SslPrincipalMapper against Kafka's own: the same rules and distinguished names given to
// org.apache.kafka.common.security.ssl.SslPrincipalMapper from the kafka-clients jar
// (test/peers/kafka.sh caches it from Maven Central) and to ours, every answer compared —
// the mapped name, a rule Kafka refuses, a name no rule applies to. Java runs the cases in
// one process (a single-file program on Kafka's classpath).

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { NoMatchingRuleError, SslPrincipalMapper } from '../../../src/auth/tls/principal-mapping.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..', '..', '..', '..');

const JAVA = `
import org.apache.kafka.common.security.ssl.SslPrincipalMapper;
import java.nio.file.Files;
import java.nio.file.Path;
public class MapperCases {
  public static void main(String[] args) throws Exception {
    for (String line : Files.readAllLines(Path.of(args[0]))) {
      String[] c = line.split("\\t", -1);
      String out;
      try {
        SslPrincipalMapper m = SslPrincipalMapper.fromRules(c[0]);
        try { out = m.getName(c[1]); }
        catch (SslPrincipalMapper.NoMatchingRule e) { out = "ERR:nomatch"; }
        catch (RuntimeException e) { out = "ERR:apply"; }
      } catch (IllegalArgumentException e) { out = "ERR:parse"; }
      System.out.println(out);
    }
  }
}
`;

const ours = (rules: string, dn: string): string => {
  let mapper: SslPrincipalMapper;
  try {
    mapper = new SslPrincipalMapper(rules);
  } catch {
    return 'ERR:parse';
  }
  try {
    return mapper.name(dn);
  } catch (e) {
    return e instanceof NoMatchingRuleError ? 'ERR:nomatch' : 'ERR:apply';
  }
};

const KAFKA_TEST_RULES = 'RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L, RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/L, RULE:^cn=(.*?),ou=(.*?),dc=(.*?),dc=(.*?)$/$1@$2/U, RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/U, DEFAULT';

const CASES: [rules: string, dn: string][] = [
  [KAFKA_TEST_RULES, 'CN=Duke,OU=ServiceUsers,O=Org,C=US'],
  [KAFKA_TEST_RULES, 'CN=Duke,OU=SME,O=mycp,L=Fulton,ST=MD,C=US'],
  [KAFKA_TEST_RULES, 'cn=duke,ou=sme,dc=mycp,dc=com'],
  [KAFKA_TEST_RULES, 'cN=duke,OU=JavaSoft,O=Sun Microsystems'],
  [KAFKA_TEST_RULES, 'OU=JavaSoft,O=Sun Microsystems,C=US'],
  [String.raw`RULE:^CN=((\\, *|\w)+)(,.*|$)/$1/,DEFAULT`, String.raw`CN=Tkac\, Adam,OU=ITZ,DC=geodis,DC=cz`],
  ['RULE:^CN=(.*?),.*$/$1-$2/', 'CN=a,O=b'],
  ['RULE:^CN=(.*?),.*$/$10/', 'CN=a,O=b'],
  ['RULE:^CN=(.*?),(.*?)$/$12$21/', 'CN=a,O=b'],
  [String.raw`RULE:^CN=(.*?),.*$/\$1/`, 'CN=a,O=b'],
  ['RULE:^CN=(.*?),.*$/$0!/', 'CN=a,O=b'],
  ['RULE:.*/x/', 'CN=a,O=b'],
  ['RULE:^CN=([^,]+).*$//,DEFAULT', 'CN=a,O=b'],
  ['RULE:(?i)^cn=([a-z]+),.*$/$1/U', 'CN=abc,O=b'],
  [String.raw`RULE:^CN=([^,]+),OU=a\/b$/$1/`, 'CN=x,OU=a/b'],
  ['RULE:^CN=([^,]+),OU=Admins,.*$/$1/', 'CN=Alice,OU=ServiceUsers,O=Example,C=US'],
  ['RULE:^CN=(.*)$/$1/L/U', 'CN=a'],
  ['RULE:^CN=(.*$/$1/', 'CN=a'],
  ['DEFAULT/L', 'CN=a'],
  ['', 'CN=a'],
  [',,  ,', 'CN=a'],
  ['RULE:^CN=([^,]+).*$/$1/U', 'CN=straße,O=x'],
  ['RULE:^CN=([^,]+),O=([^,]+)$/$2:$1/', 'CN=α,O=β'],
];

describe('SslPrincipalMapper compared with Kafka\'s (kafka-clients from Maven Central)', () => {
  it('gives every case the answer Kafka\'s SslPrincipalMapper gives', async () => {
    const home = (await run('bash', [join(ROOT, 'test', 'peers', 'kafka.sh')], { timeout: 300_000 })).stdout.trim();
    const dir = mkdtempSync(join(tmpdir(), 'stratus-mapper-'));
    try {
      writeFileSync(join(dir, 'MapperCases.java'), JAVA);
      writeFileSync(join(dir, 'cases.tsv'), CASES.map(([rules, dn]) => `${rules}\t${dn}`).join('\n') + '\n');
      const { stdout } = await run('java', ['-cp', join(home, 'libs', '*'), join(dir, 'MapperCases.java'), join(dir, 'cases.tsv')], { timeout: 120_000 });
      const kafka = stdout.replace(/\n$/, '').split('\n');
      expect(kafka).toHaveLength(CASES.length);
      const table = CASES.map(([rules, dn], i) => ({ rules, dn, kafka: kafka[i], ours: ours(rules, dn) }));
      expect(table.filter((r) => r.kafka !== r.ours)).toEqual([]);
      // The comparison is not vacuous: names, refusals and no-match all occur.
      expect(new Set(table.map((r) => (r.kafka!.startsWith('ERR:') ? r.kafka : 'name')))).toEqual(new Set(['name', 'ERR:parse', 'ERR:nomatch']));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
