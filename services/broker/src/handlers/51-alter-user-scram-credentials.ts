// AlterUserScramCredentials (key 51), version 0: adds, replaces and removes users' SCRAM
// credentials in the controller. A client sends the salted password (kafka-configs.sh and
// AdminClient salt it themselves); it goes no further than this handler, which derives
// StoredKey and ServerKey from it as Kafka's ScramControlManager does, so the controller
// stores what Kafka stores and no password-equivalent leaves the broker. The controller
// decides each user with Kafka's rules (@stratus/controller ops/scram.ts). Kafka requires
// ALTER on the cluster; without it every user named gets CLUSTER_AUTHORIZATION_FAILED,
// once each, in name order (AlterUserScramCredentialsRequest.getErrorResponse). A changed
// or removed credential is used by the next authentication on every broker: brokers drop
// cached credentials when the controller's SCRAM version moves (controller-credential-store.ts).

import { ApiKey, ErrorCode } from '@stratus/protocol';
import { isKnownScramMechanism, scramKeys } from '@stratus/controller';
import type { ItemResult, ScramAlterResult, ScramUpsertion } from '@stratus/controller';
import type { BrokerContext } from '../broker-context.ts';
import { askController } from '../controller-failure.ts';
import { defineHandler } from '../handler.ts';
import { AclOperation, CLUSTER_RESOURCE_NAME } from '../auth/authorized-operations.ts';
import { isAllowed } from '../auth/authorize.ts';

const CLUSTER_AUTHORIZATION_FAILED_MESSAGE = 'Cluster authorization failed.';
const NO_KEY = Buffer.alloc(0);

export function alterUserScramCredentialsHandler(ctx: BrokerContext) {
  return defineHandler({
    apiKey: ApiKey.AlterUserScramCredentials,
    accept: [0, 0],
    handle: async (req, rctx) => {
      const named = [...new Set([...req.deletions.map((d) => d.name), ...req.upsertions.map((u) => u.name)])].sort();
      const every = (errorCode: number, errorMessage: string | null) => ({ throttleTimeMs: 0, results: named.map((user) => ({ user, errorCode, errorMessage })) });
      if (!isAllowed(ctx.authorizer, rctx, AclOperation.ALTER, 'cluster', CLUSTER_RESOURCE_NAME)) return every(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, CLUSTER_AUTHORIZATION_FAILED_MESSAGE);
      const upsertions = req.upsertions.map((u): ScramUpsertion => {
        const { mechanism } = u;
        // An unknown mechanism has no keys; the controller refuses it (UNSUPPORTED_SASL_MECHANISM) before looking at them.
        const keys = isKnownScramMechanism(mechanism) ? scramKeys(mechanism, u.saltedPassword) : { storedKey: NO_KEY, serverKey: NO_KEY };
        return { user: u.name, mechanism, iterations: u.iterations, salt: u.salt, ...keys };
      });
      const deletions = req.deletions.map((d) => ({ user: d.name, mechanism: d.mechanism }));
      const results = await askController<ScramAlterResult[] | ItemResult>('admin', () => ctx.controller.alterScramCredentials(deletions, upsertions), (failed) => failed);
      if (!Array.isArray(results)) return every(results.errorCode, results.errorMessage);
      return { throttleTimeMs: 0, results: results.map((r) => ({ user: r.user, errorCode: r.errorCode, errorMessage: r.errorMessage })) };
    },
  });
}
