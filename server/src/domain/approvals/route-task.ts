import type { QueueConfig, RiskLevel, TaskClassification } from '@loopgate/shared';
import { classify, describeFindings } from './classification.js';
import { evaluatePolicy, type RoutableTask, type RoutingOutcome } from './routing-policy.js';

export interface RoutedTask {
  routing: RoutingOutcome;
  /** What the queue's detectors found; null when the queue enables none. */
  classification: TaskClassification | null;
  /** The effective risk level: the agent's, raised (never lowered) by the detectors' mapped levels. */
  riskLevel: RiskLevel | null;
}

/**
 * The one routing entry point (creation, dry runs, previews and backtests): classify payload and
 * context with the queue's detectors, raise the task's risk to the highest level a fired detector
 * maps to (an agent's higher level stands; no level counts as lowest), then run the routing policy
 * on the raised level. Pure: same config and task, same answer. `task.riskLevel` is the level the
 * agent reported — for a stored task whose risk was raised, that is `classification.raisedFrom`
 * (see reportedRiskLevel).
 */
export function routeTask(config: QueueConfig, task: RoutableTask): RoutedTask {
  const classification = classify(config.classification.detectors, task, task.riskLevel);
  const riskLevel = classification?.raisedTo ?? task.riskLevel;
  const routing = evaluatePolicy(config, { ...task, riskLevel });
  if (!classification?.raisedTo) return { routing, classification, riskLevel };
  const raised = `Risk raised to ${classification.raisedTo}: ${describeFindings(classification.findings)}`;
  return { routing: { ...routing, reason: `${raised}. ${routing.reason}` }, classification, riskLevel };
}

/** The risk level the agent reported for a stored task: before classification raised it, if it did. */
export function reportedRiskLevel(task: {
  riskLevel: RiskLevel | null;
  classification?: TaskClassification | null;
}): RiskLevel | null {
  return task.classification?.raisedTo ? task.classification.raisedFrom : task.riskLevel;
}
