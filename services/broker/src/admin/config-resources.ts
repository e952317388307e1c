// Shared by the config handlers (DescribeConfigs, AlterConfigs, IncrementalAlterConfigs):
// Kafka's config resource types, broker-resource name checks, and the per-resource
// pre-checks and result assembly of the two alter APIs.

import { ErrorCode } from '@stratus/protocol';
import type { AlterConfigsResponseAlterConfigsResourceResponse, Input } from '@stratus/protocol';
import type { ConfigResourceType, ItemResult } from '@stratus/controller';

export const RESOURCE_TOPIC = 2;
export const RESOURCE_BROKER = 4;

/** Kafka's ConfigSource codes used here. */
export const SOURCE_DYNAMIC_TOPIC = 1;
export const SOURCE_DEFAULT = 5;

const RESOURCE_TYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [0, 'UNKNOWN'],
  [2, 'TOPIC'],
  [4, 'BROKER'],
  [8, 'BROKER_LOGGER'],
  [16, 'CLIENT_METRICS'],
  [32, 'GROUP'],
]);

/** The controller's name for a served resource type, or undefined for the others. */
export function configResourceType(code: number): ConfigResourceType | undefined {
  if (code === RESOURCE_TOPIC) return 'topic';
  if (code === RESOURCE_BROKER) return 'broker';
  return undefined;
}

export function unsupportedResourceType(code: number): ItemResult {
  return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unsupported resource type: ${RESOURCE_TYPE_NAMES.get(code) ?? code}` };
}

/**
 * A broker resource name as Kafka reads it (Integer.parseInt): the broker id, or an
 * ItemResult with INVALID_REQUEST when it is not an integer. Empty names mean "cluster
 * default" and are handled by the callers before this.
 */
export function parseBrokerId(name: string, what: 'Broker' | 'Node'): number | ItemResult {
  const id = Number(name);
  if (!/^[+-]?\d+$/.test(name) || id < -0x80000000 || id > 0x7fffffff) {
    return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `${what} id must be an integer, but it is: ${name}` };
  }
  return id;
}

export interface AlterResource {
  readonly resourceType: number;
  readonly resourceName: string;
  readonly configs: readonly { readonly name: string }[];
}

/** What the controller answers per resource it was asked to alter. */
export type AlterAnswer = ItemResult & { readonly type: ConfigResourceType; readonly name: string };

const OK: ItemResult = { errorCode: ErrorCode.NONE, errorMessage: null };

function invalid(errorMessage: string): ItemResult {
  return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage };
}

/**
 * The broker-side verdict per request resource, in request order: an ItemResult when the
 * resource is answered without the controller, or 'topic' when it is to be forwarded.
 * `check` adds API-specific checks of a resource's configs (run after the duplicate checks).
 */
export function precheckAlter<R extends AlterResource>(resources: readonly R[], nodeId: number, check: (r: R) => ItemResult | null): (ItemResult | 'topic')[] {
  const seen = new Map<string, number>();
  for (const r of resources) {
    const key = `${r.resourceType}\0${r.resourceName}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  return resources.map((r) => {
    if (seen.get(`${r.resourceType}\0${r.resourceName}`)! > 1) return invalid('Each resource must appear at most once.');
    const names = r.configs.map((c) => c.name);
    if (new Set(names).size !== names.length) return invalid('Error due to duplicate config keys');
    const problem = check(r);
    if (problem !== null) return problem;
    const type = configResourceType(r.resourceType);
    if (type === undefined) return unsupportedResourceType(r.resourceType);
    if (type === 'topic') return 'topic';
    if (r.resourceName !== '') {
      const id = parseBrokerId(r.resourceName, 'Node');
      if (typeof id !== 'number') return id;
      if (id !== nodeId) return invalid(`Unexpected broker id, expected ${nodeId}, but received ${r.resourceName}`);
    }
    // Broker configs are static: nothing can change, so only an empty change succeeds.
    if (names.length > 0) return invalid(`Cannot update these configs dynamically: ${[...new Set(names)].join(', ')}`);
    return OK;
  });
}

type ResourceResponse = Input<AlterConfigsResponseAlterConfigsResourceResponse>;

/** One response per request resource, from the prechecks and the controller's answers. */
export function alterResults(resources: readonly AlterResource[], verdicts: readonly (ItemResult | 'topic')[], answers: readonly AlterAnswer[]): ResourceResponse[] {
  const byName = new Map(answers.filter((a) => a.type === 'topic').map((a) => [a.name, a]));
  return resources.map((r, i) => {
    const verdict = verdicts[i]!;
    let result: ItemResult;
    if (verdict !== 'topic') result = verdict;
    else result = byName.get(r.resourceName) ?? { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: 'The controller returned no result for this resource.' };
    return { errorCode: result.errorCode, errorMessage: result.errorMessage, resourceType: r.resourceType, resourceName: r.resourceName };
  });
}

