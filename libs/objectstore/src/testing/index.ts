// Public entry of @stratus/objectstore/testing: fault injection for tests and simulations,
// and the real object-store servers (MinIO, fake-gcs-server) tests start as child processes.

export { withFaults } from './with-faults.ts';
export type { FaultCounts, FaultOptions, FaultRates, FaultyObjectStore, InjectedFaultCode } from './with-faults.ts';
export { startMinio } from './peers/minio.ts';
export type { MinioServer } from './peers/minio.ts';
export { startFakeGcs } from './peers/fake-gcs.ts';
export type { FakeGcsServer } from './peers/fake-gcs.ts';
