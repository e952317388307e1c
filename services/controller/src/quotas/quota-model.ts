// Kafka's client quota model: what a quota entity is (user, client-id, or both; ip alone),
// which keys each may hold, which alterations Kafka refuses and with what message, and how
// a DescribeClientQuotas filter selects entities. Pure data and functions: the controller
// stores quotas with it and the broker resolves them with the same entity keys.
//
// The rules are Kafka's KRaft controller's (ClientQuotaControlManager: validateEntity,
// configKeysForEntityType, validateQuotaKeyValue) and its brokers' (ClientQuotasImage.describe:
// a broker answers DescribeClientQuotas from its metadata), so kafka-configs.sh and
// AdminClient see Kafka's answers. A default entity is a null name.

export const QuotaEntityType = { USER: 'user', CLIENT_ID: 'client-id', IP: 'ip' } as const;
export type QuotaEntityTypeName = (typeof QuotaEntityType)[keyof typeof QuotaEntityType];

/** The quota keys Kafka has for user and client-id entities, and their ConfigDef types. */
export const QuotaKey = {
  PRODUCER_BYTE_RATE: 'producer_byte_rate',
  CONSUMER_BYTE_RATE: 'consumer_byte_rate',
  REQUEST_PERCENTAGE: 'request_percentage',
  CONTROLLER_MUTATION_RATE: 'controller_mutation_rate',
  CONNECTION_CREATION_RATE: 'connection_creation_rate',
} as const;

type KeyType = 'long' | 'double' | 'int';
const USER_CLIENT_KEYS: ReadonlyMap<string, KeyType> = new Map([
  [QuotaKey.PRODUCER_BYTE_RATE, 'long'],
  [QuotaKey.CONSUMER_BYTE_RATE, 'long'],
  [QuotaKey.REQUEST_PERCENTAGE, 'double'],
  [QuotaKey.CONTROLLER_MUTATION_RATE, 'double'],
]);
const IP_KEYS: ReadonlyMap<string, KeyType> = new Map([[QuotaKey.CONNECTION_CREATION_RATE, 'int']]);

/** Kafka's DescribeClientQuotas match types. */
export const QuotaMatchType = { EXACT: 0, DEFAULT: 1, SPECIFIED: 2 } as const;

/** One part of an entity: its type and name (null: the default entity of that type). */
export interface QuotaEntityPart {
  readonly entityType: string;
  readonly entityName: string | null;
}

/** An entity with its quota values, as stored and as pushed to brokers. */
export interface ClientQuotaEntry {
  /** Parts sorted by entity type (one per type). */
  readonly entity: readonly QuotaEntityPart[];
  readonly values: Readonly<Record<string, number>>;
}

export interface QuotaOp {
  readonly key: string;
  readonly value: number;
  readonly remove: boolean;
}

export interface QuotaAlteration {
  readonly entity: readonly QuotaEntityPart[];
  readonly ops: readonly QuotaOp[];
}

export interface QuotaFilterComponent {
  readonly entityType: string;
  readonly matchType: number;
  readonly match: string | null;
}

/** Stored entities at most (AlterClientQuotas beyond: POLICY_VIOLATION): every broker holds them all. */
export const DEFAULT_MAX_QUOTA_ENTITIES = 10_000;

/** [[type, name|null]..., sorted by type] → [key, value]... : the journal's and snapshot's form of an entry. */
export type QuotaEntryTuple = [[string, string | null][], [string, number][]];

/** One change of a ClientQuotasAltered record: [entity tuple, key, value (null: removed)]. */
export type QuotaChangeTuple = [[string, string | null][], string, number | null];

/** The parts sorted by type: one order, so one key per entity. */
export function sortedEntity(entity: readonly QuotaEntityPart[]): QuotaEntityPart[] {
  return [...entity].sort((a, b) => (a.entityType < b.entityType ? -1 : a.entityType > b.entityType ? 1 : 0));
}

/** A map key for an entity, whatever order its parts came in. */
export function quotaEntityKey(entity: readonly QuotaEntityPart[]): string {
  return JSON.stringify(sortedEntity(entity).map((p) => [p.entityType, p.entityName]));
}

export function quotaEntryToTuple(e: ClientQuotaEntry): QuotaEntryTuple {
  return [e.entity.map((p) => [p.entityType, p.entityName]), Object.entries(e.values)];
}

export function quotaEntryFromTuple(t: QuotaEntryTuple): ClientQuotaEntry {
  return { entity: t[0].map(([entityType, entityName]) => ({ entityType, entityName })), values: Object.fromEntries(t[1]) };
}

/** What Kafka answers INVALID_REQUEST for about an entity, or undefined (validateEntity + configKeysForEntityType). */
export function quotaEntityProblem(entity: readonly QuotaEntityPart[]): string | undefined {
  if (entity.length === 0) return 'Invalid empty client quota entity';
  const seen = new Set<string>();
  for (const p of entity) {
    if (seen.has(p.entityType)) return `Invalid client quota entity, duplicate entity entry ${p.entityType}`;
    seen.add(p.entityType);
    if (p.entityType !== QuotaEntityType.USER && p.entityType !== QuotaEntityType.CLIENT_ID && p.entityType !== QuotaEntityType.IP) return `Unhandled client quota entity type: ${p.entityType}`;
    if (p.entityName !== null && p.entityName === '') return `Empty ${p.entityType} not supported`;
  }
  if (seen.has(QuotaEntityType.IP) && seen.size > 1) return 'Invalid quota entity combination, IP entity shouldnot be combined with User or ClientId';
  const ip = entity.find((p) => p.entityType === QuotaEntityType.IP);
  if (ip !== undefined && ip.entityName !== null && !isIpLiteral(ip.entityName)) return `${ip.entityName} is not a valid IP or resolvable host.`;
  return undefined;
}

/** What Kafka answers INVALID_REQUEST for about one key and value of an entity, or undefined (validateQuotaKeyValue). */
export function quotaValueProblem(entity: readonly QuotaEntityPart[], key: string, value: number): string | undefined {
  const keys = entity.some((p) => p.entityType === QuotaEntityType.IP) ? IP_KEYS : USER_CLIENT_KEYS;
  const type = keys.get(key);
  if (type === undefined) return `Invalid configuration key ${key}`;
  if (!(value > 0)) return `Quota ${key} must be greater than 0`;
  if (type === 'double') return undefined;
  if (type === 'int' && value > 2_147_483_647) return `Proposed value for ${key} is too large for an INT.`;
  if (type === 'long' && value > 9_223_372_036_854_775_807) return `Proposed value for ${key} is too large for a LONG.`;
  if (Math.abs(value % 1) > 1e-6) return `${key} cannot be a fractional value.`;
  return undefined;
}

/**
 * A DescribeClientQuotas filter checked as Kafka checks it: undefined, or the error code
 * name and message Kafka answers (an unknown entity type is UNSUPPORTED_VERSION there).
 */
export function quotaFilterProblem(components: readonly QuotaFilterComponent[]): { code: 'INVALID_REQUEST' | 'UNSUPPORTED_VERSION'; message: string } | undefined {
  const seen = new Set<string>();
  for (const c of components) {
    if (c.entityType === '') return { code: 'INVALID_REQUEST', message: 'Invalid empty entity type.' };
    if (seen.has(c.entityType)) return { code: 'INVALID_REQUEST', message: `Entity type ${c.entityType} cannot appear more than once in the filter.` };
    seen.add(c.entityType);
    if (c.entityType !== QuotaEntityType.IP && c.entityType !== QuotaEntityType.USER && c.entityType !== QuotaEntityType.CLIENT_ID) return { code: 'UNSUPPORTED_VERSION', message: `Unsupported entity type ${c.entityType}` };
    if (c.matchType === QuotaMatchType.EXACT) {
      if (c.match === null) return { code: 'INVALID_REQUEST', message: 'Request specified MATCH_TYPE_EXACT, but set match string to null.' };
    } else if (c.matchType === QuotaMatchType.DEFAULT) {
      if (c.match !== null) return { code: 'INVALID_REQUEST', message: 'Request specified MATCH_TYPE_DEFAULT, but also specified a match string.' };
    } else if (c.matchType === QuotaMatchType.SPECIFIED) {
      if (c.match !== null) return { code: 'INVALID_REQUEST', message: 'Request specified MATCH_TYPE_SPECIFIED, but also specified a match string.' };
    } else {
      return { code: 'INVALID_REQUEST', message: `Unknown match type ${c.matchType}` };
    }
  }
  if (seen.has(QuotaEntityType.IP) && (seen.has(QuotaEntityType.USER) || seen.has(QuotaEntityType.CLIENT_ID))) {
    return { code: 'INVALID_REQUEST', message: 'Invalid entity filter component combination. IP filter component should not be used with user or clientId filter component.' };
  }
  return undefined;
}

/** Whether a stored entity is selected by a (checked) filter: Kafka's ClientQuotasImage.matches. */
export function quotaFilterMatches(components: readonly QuotaFilterComponent[], strict: boolean, entity: readonly QuotaEntityPart[]): boolean {
  if (strict && entity.length !== components.length) return false;
  for (const c of components) {
    const part = entity.find((p) => p.entityType === c.entityType);
    if (part === undefined) return false;
    if (c.matchType === QuotaMatchType.EXACT && part.entityName !== c.match) return false;
    if (c.matchType === QuotaMatchType.DEFAULT && part.entityName !== null) return false;
  }
  return true;
}

/** An IPv4 or IPv6 literal (Kafka also resolves host names; a controller does no DNS lookups for this). */
function isIpLiteral(s: string): boolean {
  if (/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(s)) return s.split('.').every((o) => Number(o) <= 255);
  return /^[0-9a-fA-F:]+$/.test(s) && s.includes(':');
}

/** DescribeClientQuotas over the stored entries: the filter's problem, or the entries it selects. */
export function describeClientQuotas(
  entries: readonly ClientQuotaEntry[],
  components: readonly QuotaFilterComponent[],
  strict: boolean,
): { problem: { code: 'INVALID_REQUEST' | 'UNSUPPORTED_VERSION'; message: string } } | { entries: ClientQuotaEntry[] } {
  const problem = quotaFilterProblem(components);
  if (problem !== undefined) return { problem };
  return { entries: entries.filter((e) => quotaFilterMatches(components, strict, e.entity)) };
}
