// Public entry of @stratus/objectstore/testing: fault injection for tests and simulations.

export { withFaults } from './with-faults.ts';
export type { FaultCounts, FaultOptions, FaultRates, FaultyObjectStore, InjectedFaultCode } from './with-faults.ts';
