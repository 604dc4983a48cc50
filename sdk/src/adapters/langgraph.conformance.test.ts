import { describeAdapterConformance } from './conformance/suite.js';
import { makeLangGraphHarness } from './langgraph.harness.js';

describeAdapterConformance('langgraph', (server) => makeLangGraphHarness(server));
