// A certificate's subject as the string Kafka maps to a principal: Java's
// X500Principal.getName(), RFC 2253 — the relative names from the last to the first,
// separated by `,` (`CN=alice,OU=ops,O=Example,C=US`), values escaped as RFC 2253 says.
//
// Node gives the subject one relative name per line in certificate order, values already
// escaped by OpenSSL's RFC 2253 rules (ASN1_STRFLGS_ESC_2253), the attributes of a
// multi-valued name joined by ` + `. The lines reversed and joined by `,` are RFC 2253;
// Java escapes `#` and `=` inside values too, and so does this.
// Java writes attributes outside RFC 2253's keywords as OID=#hex-of-DER; of those, the one
// client certificates commonly carry, emailAddress (an IA5String), is written that way too,
// so rules written for Kafka match. Other unusual attributes keep OpenSSL's short name.

/** Keywords RFC 2253 names, which Java's getName() writes as they are. */
const RFC2253_KEYWORDS: ReadonlySet<string> = new Set(['CN', 'C', 'L', 'ST', 'O', 'OU', 'STREET', 'DC', 'UID']);
const EMAIL_ADDRESS_OID = '1.2.840.113549.1.9.1';
const IA5_STRING_TAG = 0x16;

/** RFC 2253 form of a subject as node:crypto's X509Certificate.subject writes it. */
export function rfc2253Subject(nodeSubject: string): string {
  return nodeSubject
    .split('\n')
    .filter((line) => line.length > 0)
    .reverse()
    .map((rdn) => rdn.split(' + ').map(javaAttribute).join('+'))
    .join(',');
}

function javaAttribute(ava: string): string {
  const eq = ava.indexOf('=');
  if (eq <= 0) return ava;
  const key = ava.slice(0, eq);
  const value = ava.slice(eq + 1);
  if (RFC2253_KEYWORDS.has(key)) return `${key}=${escapeLikeJava(value)}`;
  if (key === 'emailAddress') return `${EMAIL_ADDRESS_OID}=#${derHex(IA5_STRING_TAG, unescape2253(value))}`;
  return ava;
}

/**
 * OpenSSL escapes RFC 2253's specials (`,+"\<>;`, a leading `#` or space, a trailing
 * space); Java also escapes `#` and `=` wherever they are. Escaped pairs are kept as they are.
 */
function escapeLikeJava(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '\\' && i + 1 < value.length) {
      out += c + value[++i]!;
    } else {
      out += c === '#' || c === '=' ? `\\${c}` : c;
    }
  }
  return out;
}

/** The DER encoding of a string value with its tag, in lower-case hex (Java's #hex form). */
function derHex(tag: number, value: string): string {
  const body = Buffer.from(value, 'utf8');
  const len = body.length;
  const length = len < 0x80 ? Buffer.from([len]) : len < 0x100 ? Buffer.from([0x81, len]) : Buffer.from([0x82, len >> 8, len & 0xff]);
  return Buffer.concat([Buffer.from([tag]), length, body]).toString('hex');
}

/** Undoes RFC 2253 escaping: `\,` and the like, and `\XX` hex bytes. */
function unescape2253(value: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    const hex = c === '\\' ? /^[0-9A-Fa-f]{2}/.exec(value.slice(i + 1)) : null;
    if (hex !== null) {
      bytes.push(parseInt(hex[0], 16));
      i += 2;
    } else if (c === '\\' && i + 1 < value.length) {
      bytes.push(...Buffer.from(value[++i]!, 'utf8'));
    } else {
      bytes.push(...Buffer.from(c, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}
