// The ControllerApi contract against the Controller called in process (embedded mode).

import { openHarness } from '../support/helpers.ts';
import { controllerApiContract } from './controller-api.contract.ts';

controllerApiContract('in-process Controller', async (options) => {
  const h = await openHarness(options);
  return { api: h.controller, controller: h.controller, clock: h.clock, close: () => h.controller.close() };
});
