// deploy/alerts.yaml, the Prometheus alerting rules (issue 12 §6), checked with the real
// promtool (Debian's prometheus package, installed by test/peers/compose-tools.sh):
//  - `promtool check rules` accepts every rule;
//  - `promtool test rules deploy/alerts.test.yaml` passes: for each alert, input series in
//    which it fires (labels and rendered annotations asserted) and series in which it must
//    not; every alert has both, and a rule changed on purpose makes the tests fail;
//  - every alert has a severity, a summary and a description pointing at its runbook in
//    docs/operations.md ("Alerts"), which has a section for each alert;
//  - the chart's copy (helm/stratus/files/alerts.yaml, which its PrometheusRule reads with
//    .Files.Get: a chart cannot read files outside its directory) is identical to it.
// That every metric the rules select is one the processes export is asserted with the
// dashboard's queries in compose.test.ts, against a real cluster.

import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const ALERTS = join(ROOT, 'deploy', 'alerts.yaml');
const ALERT_TESTS = join(ROOT, 'deploy', 'alerts.test.yaml');
const CHART_COPY = join(ROOT, 'helm', 'stratus', 'files', 'alerts.yaml');
const OPERATIONS = join(ROOT, 'docs', 'operations.md');
const SEVERITIES = ['critical', 'warning'];

interface Rule {
  readonly alert: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

interface RuleTests {
  readonly rule_files: string[];
  readonly tests: { name: string; alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
}

const rules = (parseYaml(readFileSync(ALERTS, 'utf8')) as { groups: { name: string; rules: Rule[] }[] }).groups.flatMap((g) => g.rules);
let work: string;

function promtool(args: string[], cwd: string): { status: number | null; output: string } {
  const r = spawnSync('promtool', args, { cwd, encoding: 'utf8' });
  return { status: r.status, output: r.stdout + r.stderr };
}

/** The unit tests run against a copy of the rules with `change` made to them. */
function testRulesChanged(change: (text: string) => string): { status: number | null; output: string } {
  const text = readFileSync(ALERTS, 'utf8');
  const changed = change(text);
  expect(changed, 'the change applies').not.toBe(text);
  writeFileSync(join(work, 'alerts.yaml'), changed);
  copyFileSync(ALERT_TESTS, join(work, 'alerts.test.yaml'));
  return promtool(['test', 'rules', 'alerts.test.yaml'], work);
}

beforeAll(() => {
  // Idempotent; installs Debian's prometheus package (promtool) on a fresh machine.
  const tools = spawnSync('bash', [join(ROOT, 'test/peers/compose-tools.sh')], { encoding: 'utf8' });
  if (tools.status !== 0) throw new Error(`test/peers/compose-tools.sh failed:\n${tools.stderr}`);
  work = mkdtempSync(join(tmpdir(), 'alerts-'));
}, 300_000);

afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

describe('deploy/alerts.yaml', () => {
  it('promtool check rules accepts every rule', () => {
    const r = promtool(['check', 'rules', ALERTS], ROOT);
    expect(r.output).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(r.status).toBe(0);
    expect(rules.map((r) => r.alert)).toEqual(expect.arrayContaining([
      'StratusBrokerDown',
      'StratusNoActiveController',
      'StratusWalBacklogGrowing',
      'StratusUploadsFailing',
      'StratusConsumerLagGrowing',
      'StratusObjectStoreErrors',
      'StratusControllerLeaseFlapping',
    ]));
  });

  it('passes its unit tests (promtool test rules deploy/alerts.test.yaml)', () => {
    const r = promtool(['test', 'rules', 'alerts.test.yaml'], join(ROOT, 'deploy'));
    expect(r.output).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  it('has, for every alert, a test where it fires and one where it must not', () => {
    const tests = parseYaml(readFileSync(ALERT_TESTS, 'utf8')) as RuleTests;
    expect(tests.rule_files).toEqual(['alerts.yaml']);
    const cases = tests.tests.flatMap((t) => t.alert_rule_test ?? []);
    const untested = rules.map((r) => r.alert).filter((name) => {
      const own = cases.filter((c) => c.alertname === name);
      return !own.some((c) => c.exp_alerts.length > 0) || !own.some((c) => c.exp_alerts.length === 0);
    });
    expect(untested).toEqual([]);
  });

  it.each([
    ['an error ratio threshold raised (StratusObjectStoreErrors stays silent)', (t: string) => t.replace('> 0.05', '> 0.5'), 'alertname: StratusObjectStoreErrors'],
    ['lag summed over brokers instead of taken once per partition (a coordinator move counted twice)', (t: string) => t.replaceAll('max by (group, topic, partition)', 'sum by (group, topic, partition)'), 'alertname: StratusConsumerLagGrowing'],
    ['a broker down alerting at once (a missed scrape alerts)', (t: string) => t.replace(/(expr: up\{job="stratus-broker"\} == 0\n\s+)for: 1m/, '$1for: 0s'), 'alertname: StratusBrokerDown'],
  ])('the unit tests fail with %s (they can fail)', (_name, change, failing) => {
    const r = testRulesChanged(change);
    expect(r.status).not.toBe(0);
    expect(r.output).toContain('FAILED');
    expect(r.output).toContain(failing);
  });

  it('every alert has a severity, a summary and a description that names its runbook in docs/operations.md', () => {
    const doc = readFileSync(OPERATIONS, 'utf8');
    const start = doc.indexOf('\n## Alerts\n');
    expect(start, 'docs/operations.md has an "Alerts" section').toBeGreaterThanOrEqual(0);
    const end = doc.indexOf('\n## ', start + 1);
    const alertsSection = doc.slice(start, end === -1 ? undefined : end);
    for (const r of rules) {
      expect(SEVERITIES, r.alert).toContain(r.labels?.['severity']);
      expect(r.annotations?.['summary'], r.alert).toBeTruthy();
      expect(r.annotations?.['description'], r.alert).toContain(`see "${r.alert}" in docs/operations.md`);
      expect(alertsSection, `docs/operations.md: a "### ${r.alert}" runbook under "## Alerts"`).toContain(`\n### ${r.alert}\n`);
    }
  });

  it("is what the chart's PrometheusRule reads: helm/stratus/files/alerts.yaml is an identical copy", () => {
    // To change the rules, edit deploy/alerts.yaml and copy it: cp deploy/alerts.yaml helm/stratus/files/alerts.yaml
    expect(readFileSync(CHART_COPY, 'utf8') === readFileSync(ALERTS, 'utf8'), 'helm/stratus/files/alerts.yaml differs from deploy/alerts.yaml').toBe(true);
  });
});
