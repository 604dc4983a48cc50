import { makeAiSdkHarness } from './ai-sdk.harness.js';
import { describeAdapterConformance } from './conformance/suite.js';

describeAdapterConformance('ai-sdk', (server) => makeAiSdkHarness(server));
