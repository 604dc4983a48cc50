import { describeAdapterConformance } from './conformance/suite.js';
import { makeLangChainHarness } from './langchain.harness.js';

// humanInTheLoopMiddleware runs none of a turn's calls when one is rejected: see ConformanceOptions.
describeAdapterConformance('langchain', (server) => makeLangChainHarness(server), {
  rejectionHoldsBackApprovedCallsInTurn: true,
});
