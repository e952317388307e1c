// The group coordinator and what handlers and the broker assembly need from it.

export { GroupCoordinator } from './coordinator.ts';
export type {
  GroupCoordinatorOptions,
  GroupDescription,
  GroupListing,
  GroupMemberDescription,
  GroupOffsetStore,
  GroupProtocol,
  GroupState,
  HeartbeatParams,
  JoinGroupMember,
  JoinGroupParams,
  JoinGroupResult,
  LeaveGroupResult,
  MemberRef,
  OffsetCommitParams,
  SyncGroupParams,
  SyncGroupResult,
} from './coordinator.ts';
export { coordinatorEndpoint, coordinatorFor, groupCoordinatorNode, isLocalCoordinator, javaStringHash } from './coordinator-locator.ts';
