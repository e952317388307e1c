// Kafka's ssl.principal.mapping.rules: how a client certificate's subject (its distinguished
// name in RFC 2253 form, `CN=alice,OU=ops,O=Example`) becomes a principal's name. A list of
// rules separated by commas, tried in order, the first that matches wins:
//
//   RULE:pattern/replacement/        the whole name must match pattern; the result is the
//   RULE:pattern/replacement/L       name with every match replaced by replacement ($1 ...),
//   RULE:pattern/replacement/U       lower- or upper-cased with L / U
//   DEFAULT                          the distinguished name as it is
//
// No rule matching refuses the client. The parsing follows Kafka's SslPrincipalMapper:
// the same splitting regular expression (a `/` or `\` inside a pattern or replacement is
// escaped with `\`; empty rules are ignored), the same validation, and Java's replaceAll
// semantics for the replacement (`$n` group references — one past the number of groups is
// taken literally, as Kafka does — and `\` quoting the next character). The patterns are
// JavaScript regular expressions; the constructs Kafka's examples use (groups, classes,
// reluctant quantifiers, anchors) mean the same in both. A leading `(?i)` (Java's
// case-insensitive flag) is honoured.

// Kafka's RULE_PATTERN, character for character. Groups: 1 DEFAULT, 2 pattern, 4 replacement, 6 L/U.
const RULE_PATTERN = String.raw`(DEFAULT)|RULE:((\\.|[^\\/])*)/((\\.|[^\\/])*)/([LU]?).*?|(.*?)`;
const RULE_SPLITTER = new RegExp(String.raw`\s*(` + RULE_PATTERN + String.raw`)\s*(,\s*|$)`, 'g');
const RULE_PARSER = new RegExp(`^(?:${RULE_PATTERN})`);

/** The rules when none are configured (Kafka's DEFAULT_SSL_PRINCIPAL_MAPPING_RULES). */
export const DEFAULT_PRINCIPAL_MAPPING_RULES = 'DEFAULT';

export class NoMatchingRuleError extends Error {
  constructor(distinguishedName: string, rules: string) {
    super(`no ssl principal mapping rule applies to "${distinguishedName}" (rules ${rules})`);
    this.name = 'NoMatchingRuleError';
  }
}

type Rule =
  | { readonly kind: 'default' }
  | { readonly kind: 'rule'; readonly source: string; readonly pattern: RegExp; readonly whole: RegExp; readonly replacement: string; readonly toLower: boolean; readonly toUpper: boolean };

/** A parsed ssl.principal.mapping.rules value; construction throws RangeError on an invalid rule. */
export class SslPrincipalMapper {
  private readonly rules: readonly Rule[];

  constructor(text: string = DEFAULT_PRINCIPAL_MAPPING_RULES) {
    this.rules = splitRules(text).flatMap(parseRule);
  }

  /** The principal name for a distinguished name; throws NoMatchingRuleError when no rule applies. */
  name(distinguishedName: string): string {
    for (const r of this.rules) {
      const result = applyRule(r, distinguishedName);
      if (result !== undefined) return result;
    }
    throw new NoMatchingRuleError(distinguishedName, this.toString());
  }

  /** As Kafka prints it: `SslPrincipalMapper(rules = [RULE:p/r/L, DEFAULT])`. */
  toString(): string {
    const shown = this.rules.map((r) => (r.kind === 'default' ? 'DEFAULT' : `RULE:${r.source}/${r.replacement}${r.toLower ? '/L' : r.toUpper ? '/U' : ''}`));
    return `SslPrincipalMapper(rules = [${shown.join(', ')}])`;
  }
}

function splitRules(text: string): string[] {
  const result: string[] = [];
  const input = text.trim();
  RULE_SPLITTER.lastIndex = 0;
  // Java's Matcher.find(): after an empty match the search moves on by one character.
  for (let m = RULE_SPLITTER.exec(input); m !== null; m = RULE_SPLITTER.exec(input)) {
    result.push(m[1] ?? '');
    if (m[0].length === 0) RULE_SPLITTER.lastIndex++;
    if (RULE_SPLITTER.lastIndex > input.length) break;
  }
  return result;
}

function parseRule(rule: string): Rule[] {
  const m = RULE_PARSER.exec(rule);
  if (m === null) throw new RangeError(`invalid ssl principal mapping rule: ${rule}`);
  if (m[0].length !== rule.length) throw new RangeError(`invalid ssl principal mapping rule: \`${rule}\`, unmatched substring: \`${rule.slice(m[0].length)}\``);
  if (m[1] !== undefined) return [{ kind: 'default' }];
  if (m[2] === undefined) return []; // empty rules are ignored
  const source = m[2];
  const caseless = source.startsWith('(?i)');
  const body = caseless ? source.slice(4) : source;
  const flags = caseless ? 'i' : '';
  let pattern: RegExp;
  try {
    pattern = new RegExp(body, `g${flags}`);
  } catch (e) {
    throw new RangeError(`invalid ssl principal mapping rule: ${rule}: ${(e as Error).message}`);
  }
  return [{ kind: 'rule', source, pattern, whole: new RegExp(`^(?:${body})$`, flags), replacement: m[4] ?? '', toLower: m[6] === 'L', toUpper: m[6] === 'U' }];
}

function applyRule(r: Rule, dn: string): string | undefined {
  if (r.kind === 'default') return dn;
  // Java's Matcher.matches(): the whole name.
  if (!r.whole.test(dn)) return undefined;
  const groupCount = countGroups(r.pattern);
  const replacement = escapeLiteralBackReferences(r.replacement, groupCount);
  const result = javaReplaceAll(dn, r.pattern, replacement, groupCount);
  // Locale.ENGLISH: the root locale's case mapping, not the host's.
  return r.toLower ? result.toLowerCase() : r.toUpper ? result.toUpperCase() : result;
}

function countGroups(pattern: RegExp): number {
  // One more than the groups: the alternative that always matches adds none.
  return (new RegExp(`${pattern.source}|`).exec('')?.length ?? 1) - 1;
}

/** Kafka's (from Apache NiFi): `$n` past the groups, even truncated digit by digit, is quoted so Java takes it literally. */
function escapeLiteralBackReferences(unescaped: string, groups: number): string {
  if (groups === 0) return unescaped;
  let value = unescaped;
  // Kafka scans the original string's positions while it inserts into the copy; the
  // matcher keeps the old offsets, so inserted backslashes shift later matches the same way.
  const refs = [...unescaped.matchAll(/\$(\d+)/g)];
  for (const ref of refs) {
    const digits = ref[1]!;
    if (digits.startsWith('0')) continue;
    let index = Number(digits);
    while (index > groups && index >= 10) index = Math.floor(index / 10);
    if (index > groups) {
      const groupStart = ref.index + 1;
      value = `${value.slice(0, groupStart - 1)}\\${value.slice(groupStart - 1)}`;
    }
  }
  return value;
}

/** Java's String.replaceAll(regex, replacement): every match replaced, `$n` and `\x` in the replacement. */
function javaReplaceAll(input: string, pattern: RegExp, replacement: string, groups: number): string {
  pattern.lastIndex = 0;
  let out = '';
  let last = 0;
  for (let m = pattern.exec(input); m !== null; m = pattern.exec(input)) {
    out += input.slice(last, m.index) + expandReplacement(replacement, m, groups);
    last = m.index + m[0].length;
    if (m[0].length === 0) pattern.lastIndex++;
    if (pattern.lastIndex > input.length) break;
  }
  return out + input.slice(last);
}

/** Java's Matcher.appendReplacement: `\` quotes the next character, `$n` takes as many digits as still name a group. */
function expandReplacement(replacement: string, m: RegExpExecArray, groups: number): string {
  let out = '';
  for (let i = 0; i < replacement.length; i++) {
    const c = replacement[i]!;
    if (c === '\\') {
      i++;
      if (i >= replacement.length) throw new RangeError('character to be escaped is missing');
      out += replacement[i];
    } else if (c === '$') {
      i++;
      const first = replacement[i];
      if (first === undefined || first < '0' || first > '9') throw new RangeError('illegal group reference in a principal mapping replacement');
      let ref = Number(first);
      while (i + 1 < replacement.length && replacement[i + 1]! >= '0' && replacement[i + 1]! <= '9') {
        const next = ref * 10 + Number(replacement[i + 1]);
        if (next > groups) break;
        ref = next;
        i++;
      }
      if (ref > groups) throw new RangeError(`no group ${ref} in a principal mapping rule`);
      out += m[ref] ?? '';
    } else {
      out += c;
    }
  }
  return out;
}
