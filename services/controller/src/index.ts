// Public entry of @stratus/controller: the API brokers code against (ControllerApi),
// the Controller implementing it, and the metadata stores it persists through.

export type * from './controller-api.ts';
export { Controller } from './controller.ts';
export { brokerEndpointFor, LISTENER_NAME_PATTERN, MAX_BROKER_ENDPOINTS } from './broker-endpoints.ts';
export type { ClusterCheckSummary, ClusterStats, ControllerStats, RetentionSummary } from './controller.ts';
export type { ControllerOptions } from './options.ts';
export type { GroupOverview } from './ops/group-membership.ts';
export type { ClusterOptions } from './cluster/cluster-options.ts';
export type { ClusterCounters, SuspicionChange, UncleanFailover } from './cluster/cluster-context.ts';
export type { CompactionOptions, OrphanSweepOptions } from './config/gc-options.ts';
export type { CompactionRunSummary, CompactionStats } from './background/compaction-runner.ts';
export type { OrphanSweepStats, OrphanSweepSummary } from './background/orphan-sweep.ts';
export type { ObjectMaintenanceStats } from './background/object-maintenance.ts';
export { ControllerClosedError, ControllerFailedError } from './errors.ts';
export { SnapshotFailedError } from './snapshot-schedule.ts';
export type { SnapshotStats } from './snapshot-schedule.ts';
export { BROKER_CONFIG_KEYS } from './config/broker-config.ts';
export { TOPIC_CONFIG_KEYS } from './config/topic-config-schema.ts';
export type { TopicConfigKey } from './config/topic-config-schema.ts';
export { MetadataStoreError } from './store/metadata-store.ts';
export type { JournalBatch, LoadedMetadata, MetadataStore, MetadataStoreStats } from './store/metadata-store.ts';
export { FileJournalStore, JOURNAL_WAL_DEFAULTS } from './store/file-journal-store.ts';
export type { FileJournalStoreOptions, JournalSnapshotOptions, JournalWalOptions } from './store/file-journal-store.ts';
export { MemoryMetadataStore } from './store/memory-store.ts';
export { openMetadataStore } from './store/open-store.ts';
export type { OpenMetadataStoreOptions } from './store/open-store.ts';
export { RedisMetadataStore } from './store/redis-store.ts';
export type { RedisMetadataStoreOptions } from './store/redis-store.ts';
export type { RedisParams } from './store/redis-params.ts';
export { FencedError } from './store/fenced-error.ts';
export { RedisControllerLease, LeaseError } from './lease/redis-lease.ts';
export type { AcquireResult, LeaseHolder, RedisControllerLeaseOptions } from './lease/redis-lease.ts';
export { ControllerLeaseKeeper, CONTROLLER_LEASE_DEFAULTS } from './lease/lease-keeper.ts';
export type { LeaseBackend, ControllerLeaseKeeperOptions } from './lease/lease-keeper.ts';
export { applyRecord, StateError } from './state/apply.ts';
export { emptyState, cloneState } from './state/state.ts';
export type { ControllerState } from './state/state.ts';
export { toSnapshotData, fromSnapshotData } from './state/snapshot-data.ts';
export type { SnapshotData } from './state/snapshot-data.ts';
export { captureState } from './state/snapshot-capture.ts';
export type { StateCapture } from './state/snapshot-capture.ts';
export { SnapshotBuilder, stateFromSections } from './state/snapshot-builder.ts';
export type { SnapshotCounts, SnapshotSection, SnapshotSource } from './state/snapshot-sections.ts';
export type * from './state/records.ts';
export { ZERO_UUID } from './topics/ids.ts';
export { topicNameProblem } from './topics/topic-names.ts';
// The controller API over gRPC (grpc/): the server serving any ControllerApi, and the client implementing it.
export { ControllerGrpcServer, CONTROLLER_SERVICE_NAME } from './grpc/server.ts';
export type { ControllerGrpcServerOptions, ServerTlsOptions } from './grpc/server.ts';
export { GrpcControllerClient } from './grpc/client.ts';
export type { ClientTlsOptions, GrpcControllerClientOptions } from './grpc/client.ts';
export type { ExtentCacheOptions, ExtentCacheStats } from './grpc/extent-cache.ts';
export {
  ControllerRpcError,
  ControllerUnavailableError,
  ControllerMetadataLagError,
  ControllerInvalidArgumentError,
  ControllerUnimplementedError,
  ControllerInternalError,
  ControllerClientClosedError,
} from './grpc/errors.ts';
// The controller process's roles (process/): active or standby through the election lease, redirects to the active one.
export { ControllerNode } from './process/controller-node.ts';
export type { ControllerNodeEvent, ControllerNodeOptions, ControllerNodeStatus, ControllerRole, ElectionOptions } from './process/controller-node.ts';
export type { CallOutcome } from './process/active-slot.ts';
export type { LeaseCounters } from './process/observed-lease.ts';
export { NotActiveControllerError } from './grpc/redirect.ts';
export type { EndpointStats } from './grpc/endpoints.ts';
// Kafka's ACL model (acls/): bindings, codes, validation and filters, shared with the broker's authorizer.
export * from './acls/acl-model.ts';
// Kafka's client quota model (quotas/): entities, keys, validation and DescribeClientQuotas filters, shared with the broker.
export * from './quotas/quota-model.ts';
// Kafka's SCRAM credentials (scram/): what the controller stores and how keys are derived, shared with the broker.
export * from './scram/scram-model.ts';
