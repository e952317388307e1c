// The broker's authorizer from the authorization section (dev and broker): undefined when
// authorization is off, so nothing changes then. On, it decides over the ACLs of the
// controller's latest metadata (pushed with the watch; a change applies to the next request).

import { AclAuthorizer } from '@stratus/broker';
import type { BrokerOptions } from '@stratus/broker';
import type { ControllerApi } from '@stratus/controller';
import type { StratusConfig } from '../config/schema.ts';
import type { Logger } from '../logger.ts';

export function authorizationSettings(config: Pick<StratusConfig, 'authorization'>, controller: Pick<ControllerApi, 'metadata'>, log: Logger): Pick<BrokerOptions, 'authorizer'> {
  const a = config.authorization;
  if (!a.enabled) return {};
  log.info({ superUsers: a.superUsers, allowEveryoneIfNoAclFound: a.allowEveryoneIfNoAclFound }, 'authorization on: every request is checked against the Kafka ACLs');
  return { authorizer: new AclAuthorizer({ superUsers: a.superUsers, allowEveryoneIfNoAclFound: a.allowEveryoneIfNoAclFound, acls: () => controller.metadata().acls }) };
}
