import { grantSettingsOf, type PolicyRule, type QueueConfig, RISK_LEVELS } from '@loopgate/shared';
import { describeCondition } from '../../domain/approvals/field-rules.js';

/**
 * A queue's configuration in words, for the settings page: what a reader needs to predict where a
 * task goes, who decides it and what happens when nobody does, without reading JSON.
 */
export interface QueueSummary {
  description: string | null;
  reviewerGroups: string[];
  rules: string[];
  otherwise: string;
  levels: { name: string; group: string; quorum: number; mode: string }[];
  creatorMayApprove: boolean;
  sla: string;
  slaByRisk: string[];
  escalation: string[];
  timeout: string;
  /** Standing approvals: forbidden, or for how long at most. */
  grants: string;
}

const UNITS: [seconds: number, unit: string][] = [
  [86_400, 'd'],
  [3600, 'h'],
  [60, 'min'],
  [1, 's'],
];

export function formatDuration(seconds: number): string {
  if (seconds === 0) return '0 s';
  const parts: string[] = [];
  let rest = Math.abs(seconds);
  for (const [size, unit] of UNITS) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)} ${unit}`);
      rest %= size;
    }
  }
  return parts.join(' ');
}

function secondsInWords(seconds: number): string {
  return seconds < 60 ? `${seconds} s` : `${seconds} s (${formatDuration(seconds)})`;
}

function relativeToDeadline(seconds: number): string {
  if (seconds === 0) return 'At the deadline';
  return `${formatDuration(seconds)} ${seconds < 0 ? 'before' : 'after'} the deadline`;
}

function levelsInWords(config: QueueConfig, count: number | undefined): string {
  const levels = count === undefined ? config.levels : config.levels.slice(0, count);
  const names = levels.map((level) => level.name).join(' → ');
  if (count === undefined) return `every approval level (${names})`;
  return `${count} approval level${count === 1 ? '' : 's'} (${names})`;
}

function percent(rate: number): string {
  return `${Number((rate * 100).toFixed(2))} %`;
}

function ruleInWords(config: QueueConfig, rule: PolicyRule): string {
  switch (rule.type) {
    case 'confidence_below':
      return `Confidence below ${rule.threshold} (or none given) → review by ${levelsInWords(config, rule.levels)}`;
    case 'risk': {
      const mapped = RISK_LEVELS.filter((risk) => (rule.levels[risk] ?? 0) > 0).map(
        (risk) => `${risk} → review by ${levelsInWords(config, rule.levels[risk])}`,
      );
      if (mapped.length === 0) return 'Risk: no risk level needs review here; the next rule decides';
      return `Risk ${mapped.join('; ')}; other risk levels go on to the next rule`;
    }
    case 'flag':
      return `Flag "${rule.name}" is true in the context or payload, or a tag → review by ${levelsInWords(config, rule.levels)}`;
    case 'sample':
      return `Sample ${percent(rule.rate)} of the tasks that reach this rule (by a hash of the task id) → review by ${levelsInWords(config, rule.levels)}`;
    case 'auto_approve':
      return 'Every task that reaches this rule is approved automatically';
    case 'field':
    case 'all':
    case 'any':
    case 'not':
      return rule.outcome === 'auto_approve'
        ? `When ${describeCondition(rule)} → approved automatically`
        : `When ${describeCondition(rule)} → review by ${levelsInWords(config, rule.levels)}`;
  }
}

function escalationInWords(step: QueueConfig['escalation'][number]): string {
  const when = relativeToDeadline(step.afterSeconds);
  switch (step.action) {
    case 'reminder':
      return `${when}: e-mail a reminder to the assignee's group`;
    case 'reassign':
      return `${when}: reassign to reviewer group "${step.group ?? ''}"`;
    case 'raise_priority':
      return `${when}: raise the priority (the board's Escalated column)`;
  }
}

export function summarizeQueue(config: QueueConfig): QueueSummary {
  const timeoutWhen = relativeToDeadline(config.timeoutAfterSeconds);
  return {
    description: config.description,
    reviewerGroups: config.reviewerGroups,
    rules: config.policy.rules.map((rule) => ruleInWords(config, rule)),
    otherwise:
      config.policy.otherwise === 'review'
        ? `Otherwise → review by ${levelsInWords(config, undefined)}`
        : 'Otherwise → approved automatically',
    levels: config.levels.map((level) => ({
      name: level.name,
      group: level.group ?? 'any reviewer',
      quorum: level.quorum,
      mode: level.mode,
    })),
    creatorMayApprove: config.creatorMayApprove,
    sla:
      config.sla.seconds === null
        ? 'No queue-wide deadline; tasks without their own slaSeconds or dueAt never time out'
        : `Due ${secondsInWords(config.sla.seconds)} after creation`,
    slaByRisk: RISK_LEVELS.flatMap((risk) => {
      const seconds = config.sla.byRisk[risk];
      return seconds === undefined ? [] : [`${risk}: ${secondsInWords(seconds)}`];
    }),
    escalation: config.escalation.map(escalationInWords),
    timeout: `${timeoutWhen}: ${
      config.timeoutAction === 'reject' ? 'reject — the task ends expired' : 'approve automatically'
    }`,
    grants: grantsInWords(config),
  };
}

function grantsInWords(config: QueueConfig): string {
  const { allowed, maxHours } = grantSettingsOf(config);
  return allowed ? `Reviewers may approve the same for up to ${maxHours} h` : 'Not allowed in this queue';
}
