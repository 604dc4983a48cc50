import { describeAdapterConformance } from './conformance/suite.js';
import { makeOpenAIAgentsHarness } from './openai-agents.harness.js';

describeAdapterConformance('openai-agents', (server) => makeOpenAIAgentsHarness(server));
