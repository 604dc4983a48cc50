import { createHash } from 'node:crypto';
import type { QueueConfig, RiskLevel } from '@loopgate/shared';
import type { JsonValue } from '../tasks/task-record.js';
import { evaluateCondition } from './field-rules.js';

/** What the routing policy looks at: the task as the agent sent it, plus its id (for sampling). */
export interface RoutableTask {
  id: string;
  confidence: number | null;
  riskLevel: RiskLevel | null;
  payload: JsonValue;
  context: JsonValue | null;
  tags: string[];
}

export interface RoutingOutcome {
  outcome: 'review' | 'auto_approve';
  /** The winning rule: `rules[<index>]:<type>` or `otherwise`. */
  rule: string;
  reason: string;
  /** Approval levels the task goes through (0 when auto-approved). */
  levels: number;
  /** Whether the task id samples in, for queues with a sampling rule; null otherwise. */
  sampled: boolean | null;
}

/**
 * A number in [0, 1) from the task id: the same task always samples the same way (re-evaluating
 * a dry run, or a retried create with the same id, never flips), and ids are random so the share
 * that samples in converges on the rate.
 */
export function sampleFraction(taskId: string): number {
  return createHash('sha256').update(taskId).digest().readUInt32BE(0) / 2 ** 32;
}

function flagSet(value: JsonValue | null, name: string): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && value[name] === true;
}

/**
 * Rules in order, the first match decides. Review rules say how many approval levels they need
 * (default: all of the queue's); when none matches, `policy.otherwise` decides, and it defaults to
 * review, so a queue without rules is fail-closed.
 */
export function evaluatePolicy(config: QueueConfig, task: RoutableTask): RoutingOutcome {
  const allLevels = config.levels.length;
  const levelsOf = (wanted: number | undefined) => Math.min(wanted ?? allLevels, allLevels);
  const sampleRule = config.policy.rules.find((rule) => rule.type === 'sample');
  // The id's hash is a SHA-256: only worth it when a sample rule can read it (a backtest routes 100k tasks twice).
  const fraction = sampleRule ? sampleFraction(task.id) : 0;
  const sampled = sampleRule?.type === 'sample' ? fraction < sampleRule.rate : null;
  const review = (rule: string, reason: string, levels: number): RoutingOutcome => ({
    outcome: 'review',
    rule,
    reason,
    levels,
    sampled,
  });

  for (const [index, rule] of config.policy.rules.entries()) {
    const name = `rules[${index}]:${rule.type}`;
    switch (rule.type) {
      case 'confidence_below':
        if (task.confidence === null) {
          return review(name, `No confidence given; review required below ${rule.threshold}`, levelsOf(rule.levels));
        }
        if (task.confidence < rule.threshold) {
          return review(name, `Confidence ${task.confidence} is below ${rule.threshold}`, levelsOf(rule.levels));
        }
        break;
      case 'risk': {
        const wanted = task.riskLevel === null ? undefined : rule.levels[task.riskLevel];
        if (wanted !== undefined && wanted > 0) {
          const levels = levelsOf(wanted);
          return review(
            name,
            `Risk level ${task.riskLevel} needs ${levels} approval level${levels === 1 ? '' : 's'}`,
            levels,
          );
        }
        break;
      }
      case 'flag':
        if (flagSet(task.context, rule.name) || flagSet(task.payload, rule.name) || task.tags.includes(rule.name)) {
          return review(name, `The task is flagged "${rule.name}": always reviewed`, levelsOf(rule.levels));
        }
        break;
      case 'sample':
        if (fraction < rule.rate) {
          return review(
            name,
            `Sampled for review (${Math.round(rule.rate * 1000) / 10}% of tasks that would pass)`,
            levelsOf(rule.levels),
          );
        }
        break;
      case 'auto_approve':
        return { outcome: 'auto_approve', rule: name, reason: 'Auto-approved by the queue policy', levels: 0, sampled };
      case 'field':
      case 'all':
      case 'any':
      case 'not': {
        const result = evaluateCondition(rule, task);
        if (!result.matched) break;
        if (rule.outcome === 'auto_approve') {
          return { outcome: 'auto_approve', rule: name, reason: `Auto-approved: ${result.reason}`, levels: 0, sampled };
        }
        return review(name, result.reason, levelsOf(rule.levels));
      }
    }
  }
  if (config.policy.otherwise === 'auto_approve') {
    return {
      outcome: 'auto_approve',
      rule: 'otherwise',
      reason: 'No rule required review: auto-approved',
      levels: 0,
      sampled,
    };
  }
  return review('otherwise', 'Every task in this queue goes to human review', allLevels);
}

/** The deadline of a new task: its own slaSeconds/dueAt first, then the queue's SLA for its risk level, then the queue's. */
export function queueDueAt(config: QueueConfig, riskLevel: RiskLevel | null, now: number): number | null {
  const seconds = (riskLevel !== null ? config.sla.byRisk[riskLevel] : undefined) ?? config.sla.seconds;
  return seconds === null || seconds === undefined ? null : now + seconds * 1000;
}

/** How long after its deadline a task that has applied `step` escalation steps is due again: the next step, else the timeout. */
export function sweepOffsetMs(config: QueueConfig, step: number): number {
  const next = config.escalation[step];
  return (next ? next.afterSeconds : config.timeoutAfterSeconds) * 1000;
}

/**
 * When the sweeper must next look at an open task that has applied `step` escalation steps:
 * the next step's time, or the timeout action's once the chain is done. Null without a deadline.
 */
export function nextSweepAt(config: QueueConfig, dueAt: number | null, step: number): number | null {
  return dueAt === null ? null : dueAt + sweepOffsetMs(config, step);
}
