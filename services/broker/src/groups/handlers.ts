// The handlers of the group and offset APIs, built over one coordinator, for the broker
// assembly: FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup,
// DescribeGroups, ListGroups, DeleteGroups, OffsetCommit, OffsetFetch, OffsetDelete.

import type { BrokerContext } from '../broker-context.ts';
import type { AnyApiHandler } from '../handler.ts';
import { offsetCommitHandler } from '../handlers/08-offset-commit.ts';
import { offsetFetchHandler } from '../handlers/09-offset-fetch.ts';
import { findCoordinatorHandler } from '../handlers/10-find-coordinator.ts';
import { joinGroupHandler } from '../handlers/11-join-group.ts';
import { heartbeatHandler } from '../handlers/12-heartbeat.ts';
import { leaveGroupHandler } from '../handlers/13-leave-group.ts';
import { syncGroupHandler } from '../handlers/14-sync-group.ts';
import { describeGroupsHandler } from '../handlers/15-describe-groups.ts';
import { listGroupsHandler } from '../handlers/16-list-groups.ts';
import { deleteGroupsHandler } from '../handlers/42-delete-groups.ts';
import { offsetDeleteHandler } from '../handlers/47-offset-delete.ts';
import type { GroupCoordinator } from './coordinator.ts';

export function groupHandlers(ctx: BrokerContext, coordinator: GroupCoordinator): AnyApiHandler[] {
  return [
    offsetCommitHandler(ctx, coordinator),
    offsetFetchHandler(ctx),
    findCoordinatorHandler(ctx),
    joinGroupHandler(ctx, coordinator),
    heartbeatHandler(ctx, coordinator),
    leaveGroupHandler(ctx, coordinator),
    syncGroupHandler(ctx, coordinator),
    describeGroupsHandler(ctx, coordinator),
    listGroupsHandler(ctx, coordinator),
    deleteGroupsHandler(ctx, coordinator),
    offsetDeleteHandler(ctx, coordinator),
  ];
}
