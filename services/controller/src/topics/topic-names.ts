// Kafka's rules for topic names, so a name accepted here is accepted by every client
// and tool: [a-zA-Z0-9._-], 1..249 characters, not "." or "..". Also Kafka's collision
// rule: '.' and '_' map to the same metric name, so "a.b" and "a_b" cannot coexist.

/** Kafka's limit: 255 minus room for a partition suffix in directory names. */
export const MAX_TOPIC_NAME_LENGTH = 249;

const LEGAL = /^[a-zA-Z0-9._-]+$/;

/** Why `name` is not a legal topic name, or undefined when it is. */
export function topicNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'Topic name is empty';
  if (name === '.' || name === '..') return `Topic name cannot be "${name}"`;
  if (name.length > MAX_TOPIC_NAME_LENGTH) return `Topic name is ${name.length} characters long, more than the maximum of ${MAX_TOPIC_NAME_LENGTH}`;
  if (!LEGAL.test(name)) return `Topic name "${name}" is illegal: it contains a character other than ASCII alphanumerics, '.', '_' and '-'`;
  return undefined;
}

/** Names that collide share this key ('.' and '_' become the same in metric names). */
export function collisionKey(name: string): string {
  return name.replaceAll('.', '_');
}

/** Kafka's internal topics; Stratus keeps group offsets in the controller, but clients still know these names. */
const INTERNAL_TOPICS: ReadonlySet<string> = new Set(['__consumer_offsets', '__transaction_state']);

export function isInternalTopic(name: string): boolean {
  return INTERNAL_TOPICS.has(name);
}
