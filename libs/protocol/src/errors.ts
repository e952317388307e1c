// Kafka error codes as one table {code, name, retriable}, generated from the reference
// list, with lookups for handlers and logs.

import { errorCodeTable } from './generated/index.ts';
import type { ErrorCodeInfo } from './generated/index.ts';

const byCode = new Map<number, ErrorCodeInfo>(errorCodeTable.map((e) => [e.code, e]));

export function errorInfo(code: number): ErrorCodeInfo | undefined {
  return byCode.get(code);
}

export function errorName(code: number): string {
  return byCode.get(code)?.name ?? `UNKNOWN_ERROR_CODE_${code}`;
}

export function isRetriable(code: number): boolean {
  return byCode.get(code)?.retriable ?? false;
}
