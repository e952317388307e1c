// The ControllerApi contract against GrpcControllerClient, over loopback to a
// ControllerGrpcServer serving a real Controller (in-memory store, manual clock). The
// client keeps the system clock: its deadlines are wall-clock times for the transport.

import { SeededRandom } from '@stratus/runtime';
import { ControllerGrpcServer, GrpcControllerClient } from '../../src/index.ts';
import { openHarness } from '../support/helpers.ts';
import { controllerApiContract } from './controller-api.contract.ts';

controllerApiContract('GrpcControllerClient over loopback', async (options) => {
  const h = await openHarness(options);
  const server = await ControllerGrpcServer.start({ api: h.controller, port: 0 });
  const client = await GrpcControllerClient.connect({ target: server.address, random: new SeededRandom(7) });
  return {
    api: client,
    controller: h.controller,
    clock: h.clock,
    close: async () => {
      await client.close();
      await server.close();
      await h.controller.close();
    },
  };
});
