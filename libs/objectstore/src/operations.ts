// The names of the ObjectStore calls, as wrappers, metrics and fault injection count them.

export type ObjectStoreOperation = 'put' | 'get' | 'head' | 'delete' | 'deleteMany' | 'list';

export const OBJECT_STORE_OPERATIONS: readonly ObjectStoreOperation[] = ['put', 'get', 'head', 'delete', 'deleteMany', 'list'];
