// The request bodies and path parameters of the admin REST API as zod schemas: the server
// validates with them and the OpenAPI document is derived from them (z.toJSONSchema, in
// openapi.ts), so what is documented and what is accepted cannot drift apart. Checks that
// need the cluster (does the topic exist, is the config key known) are the controller's,
// answered as problems naming the item.

import { z } from 'zod';
import { DEFAULT_REBALANCE_CONCURRENCY, DEFAULT_REBALANCE_TIMEOUT_MS, MAX_CONFIG_CHANGES, MAX_REBALANCE_CONCURRENCY, MAX_REBALANCE_MOVES, MAX_REBALANCE_TIMEOUT_MS, MAX_RESET_PARTITIONS } from './constants.ts';

const INT32_MAX = 2_147_483_647;
const topicName = z.string().min(1).max(249).describe('A topic name');
const partitionNumber = z.number().int().min(0).max(INT32_MAX);
const offset = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

// --- path parameters (strings in the URL; numbers parsed here) ---

export const brokerIdParam = z
  .string()
  .regex(/^\d{1,10}$/, 'a broker id: a non-negative integer')
  .transform(Number)
  .pipe(z.number().int().max(INT32_MAX))
  .describe('A broker id (node.id)');
export const topicParam = topicName;
export const groupParam = z.string().min(1).max(1024).describe('A consumer group id');

// --- bodies ---

export const createTopicBody = z
  .object({
    name: topicName,
    partitions: z.number().int().min(1).max(1_000_000).optional().describe('Number of partitions; the cluster default (topics.defaultPartitions) when absent'),
    configs: z.record(z.string(), z.string()).optional().describe('Topic configs (Kafka names, e.g. retention.ms) and their values'),
    validateOnly: z.boolean().default(false).describe('Only check that the topic could be created'),
  })
  .strict();

export const alterTopicConfigsBody = z
  .object({
    configs: z
      .record(z.string().min(1), z.string().nullable())
      .refine((c) => Object.keys(c).length > 0, 'name at least one config')
      .refine((c) => Object.keys(c).length <= MAX_CONFIG_CHANGES, `at most ${MAX_CONFIG_CHANGES} configs`)
      .describe('Config name → new value; null removes the topic\'s own value (the default applies again). Configs not named are left as they are.'),
    validateOnly: z.boolean().default(false).describe('Only check that the change could be made'),
  })
  .strict();

const resetTarget = z.discriminatedUnion('to', [
  z.object({ to: z.literal('earliest').describe('The log start offset') }).strict(),
  z.object({ to: z.literal('latest').describe('The committed end offset (what the controller\'s index holds; records a broker has not uploaded yet are beyond it)') }).strict(),
  z.object({ to: z.literal('timestamp'), timestamp: z.number().int().min(0).describe('Epoch milliseconds: the first offset of the first uploaded extent whose newest record is at or after it') }).strict(),
  z.object({ to: z.literal('offset'), offset: offset.describe('An offset, clamped to [log start, committed end]') }).strict(),
]);

export const resetOffsetsBody = z
  .object({
    topic: topicName.optional().describe('The topic to reset; absent: every topic the group has committed offsets for'),
    partitions: z.array(partitionNumber).min(1).max(MAX_RESET_PARTITIONS).optional().describe('Partitions of `topic` to reset; absent: all of them'),
    target: resetTarget.describe('Where to reset to'),
    dryRun: z.boolean().default(true).describe('true (the default): only show the new offsets; false: commit them (the group must have no members)'),
  })
  .strict()
  .refine((b) => b.partitions === undefined || b.topic !== undefined, { path: ['partitions'], message: 'partitions needs topic' });

export const rebalanceBody = z
  .object({
    moves: z
      .array(z.object({ topic: topicName, partition: partitionNumber, to: z.number().int().min(0).max(INT32_MAX).describe('The broker to lead it') }).strict())
      .min(1)
      .max(MAX_REBALANCE_MOVES)
      .describe('Leadership moves: each partition\'s leader stops accepting, commits its tail and hands over (no data is copied)'),
    maxConcurrentMoves: z
      .number()
      .int()
      .min(1)
      .max(MAX_REBALANCE_CONCURRENCY)
      .default(DEFAULT_REBALANCE_CONCURRENCY)
      .describe('At most this many of these moves are under way at once: they run in waves of this size, in the order given, the next once the last has ended (the controller\'s cluster.maxConcurrentMoves bounds all moves as well)'),
    timeoutMs: z.number().int().min(1).max(MAX_REBALANCE_TIMEOUT_MS).default(DEFAULT_REBALANCE_TIMEOUT_MS).describe('Moves not finished by then are given up (reported failed)'),
    dryRun: z.boolean().default(false).describe('Only check the moves (topics, partitions, brokers) and show the plan'),
  })
  .strict();

export type CreateTopicBody = z.output<typeof createTopicBody>;
export type AlterTopicConfigsBody = z.output<typeof alterTopicConfigsBody>;
export type ResetOffsetsBody = z.output<typeof resetOffsetsBody>;
export type RebalanceBody = z.output<typeof rebalanceBody>;
