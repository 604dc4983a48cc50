import {
  type ConfigWarningCode,
  type PolicyRule,
  type QueueConfig,
  RISK_LEVELS,
  type RiskLevel,
} from '@loopgate/shared';
import { describeCondition } from './field-rules.js';

/**
 * Something in a queue config that is valid but cannot do what it seems to say: a rule no task can
 * reach, a rule that gives some tasks fewer approval levels than a later rule asks for, an
 * escalation step that fires at the same moment the task times out. The schema refuses what is
 * impossible; these are what is allowed but almost certainly a mistake.
 */
export interface ConfigWarning {
  /** What kind of mistake: stable, shared by the queue's warnings, the dry run, the preview and the backtest. */
  code: ConfigWarningCode;
  /** Where, as the config is written: `policy.rules[2]`, `escalation[1]`. */
  path: string;
  message: string;
}

const rulePath = (index: number) => `policy.rules[${index}]`;
const ruleName = (index: number, rule: PolicyRule) => `rules[${index}]:${rule.type}`;
const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

function reviewLevels(config: QueueConfig, wanted: number | undefined): number {
  return Math.min(wanted ?? config.levels.length, config.levels.length);
}

function riskLevelsThatReview(rule: Extract<PolicyRule, { type: 'risk' }>): RiskLevel[] {
  return RISK_LEVELS.filter((risk) => (rule.levels[risk] ?? 0) > 0);
}

/** Whether the rule matches every task that reaches it. */
function unconditional(rule: PolicyRule): boolean {
  return rule.type === 'auto_approve' || (rule.type === 'sample' && rule.rate >= 1);
}

/**
 * Why `later` can never match because of `earlier`, or null when some task could reach it. Rules
 * of different types look at different things (confidence, risk, flags, the id's hash), so only a
 * rule of the same type can leave nothing for a later one.
 */
function coveredBy(earlier: PolicyRule, later: PolicyRule, earlierName: string): string | null {
  if (earlier.type === 'confidence_below' && later.type === 'confidence_below') {
    if (later.threshold <= earlier.threshold) {
      return `every task with confidence below ${later.threshold} (or none) is already caught by ${earlierName} (below ${earlier.threshold})`;
    }
  }
  if (earlier.type === 'flag' && later.type === 'flag' && earlier.name === later.name) {
    return `the flag "${later.name}" is already caught by ${earlierName}`;
  }
  if (earlier.type === 'sample' && later.type === 'sample' && later.rate <= earlier.rate) {
    // Both hash the same task id, so every task under the later rate is under the earlier one.
    return `sampling hashes the same task id, so every task it would sample is already sampled by ${earlierName}`;
  }
  return null;
}

function policyWarnings(config: QueueConfig): ConfigWarning[] {
  const warnings: ConfigWarning[] = [];
  const rules = config.policy.rules;
  const riskTakenBy = new Map<RiskLevel, number>();
  const blocker = rules.findIndex(unconditional);

  rules.forEach((rule, index) => {
    const path = rulePath(index);
    const name = ruleName(index, rule);
    if (blocker !== -1 && index > blocker) {
      const by = rules[blocker] as PolicyRule;
      warnings.push({
        code: 'rule_never_reached',
        path,
        message: `Never reached: ${ruleName(blocker, by)} ${
          by.type === 'auto_approve' ? 'auto-approves every task' : 'samples every task'
        } that gets that far, so ${name} never decides anything`,
      });
      return;
    }
    if (rule.type === 'sample' && rule.rate === 0) {
      warnings.push({ code: 'rule_never_matches', path, message: `Never matches: ${name} samples 0 % of tasks` });
    }
    if (rule.type === 'risk') {
      const reviewing = riskLevelsThatReview(rule);
      if (reviewing.length === 0) {
        warnings.push({
          code: 'rule_never_matches',
          path,
          message: `Never matches: ${name} sends no risk level to review (all 0 or absent)`,
        });
      }
      for (const risk of reviewing) {
        const earlier = riskTakenBy.get(risk);
        if (earlier !== undefined) {
          warnings.push({
            code: 'risk_level_already_routed',
            path: `${path}.levels.${risk}`,
            message: `Never applies: ${risk}-risk tasks are already routed by ${ruleName(earlier, rules[earlier] as PolicyRule)}`,
          });
        } else riskTakenBy.set(risk, index);
      }
    }
    for (let before = 0; before < index; before++) {
      const reason = coveredBy(rules[before] as PolicyRule, rule, ruleName(before, rules[before] as PolicyRule));
      if (reason) {
        warnings.push({ code: 'rule_never_matches', path, message: `Never matches: ${reason}` });
        break;
      }
    }
    const asked =
      rule.type === 'risk' ? Math.max(0, ...Object.values(rule.levels)) : 'levels' in rule ? rule.levels : 0;
    if (asked !== undefined && asked > config.levels.length) {
      warnings.push({
        code: 'levels_capped',
        path,
        message: `${name} asks for ${plural(asked, 'approval level')} but the queue has ${config.levels.length}; it gets ${config.levels.length}`,
      });
    }
  });

  warnings.push(...fewerLevelsFirst(config, blocker === -1 ? rules.length : blocker + 1));
  warnings.push(...unreachableLevels(config, blocker));
  return warnings;
}

/**
 * Approval levels no task can get to: a task goes through levels 1..n where n is what its rule asks
 * for, so when every rule that reviews asks for fewer than the queue has (and `otherwise`, which
 * asks for all, is never reached or approves), the levels past the largest ask are dead config — a
 * second approver the admin thinks is there and is not.
 */
function unreachableLevels(config: QueueConfig, blocker: number): ConfigWarning[] {
  const rules = config.policy.rules.slice(0, blocker === -1 ? config.policy.rules.length : blocker + 1);
  const otherwiseReviews = blocker === -1 && config.policy.otherwise === 'review';
  const deepest = otherwiseReviews
    ? config.levels.length
    : Math.max(0, ...rules.flatMap((rule) => routedAs(config, rule).map(([levels]) => levels)));
  // A queue that reviews nothing (auto-approve everything) has levels as a formality, not as a mistake.
  if (deepest === 0) return [];
  return config.levels.slice(deepest).map((level, offset) => ({
    code: 'level_unreachable' as const,
    path: `levels[${deepest + offset}]`,
    message: `Never reached: no rule sends a task through more than ${plural(deepest, 'approval level')}, so level "${level.name}" never votes`,
  }));
}

/**
 * An earlier rule that sends tasks to fewer approval levels than a later rule asks for, where one
 * task can match both: that task gets the earlier rule's levels. The flagship mistake — a
 * `confidence_below` rule with one level before a `risk` rule asking two for high risk — lets a
 * low-confidence high-risk refund close without the second level.
 */
function fewerLevelsFirst(config: QueueConfig, reachable: number): ConfigWarning[] {
  const warnings: ConfigWarning[] = [];
  const rules = config.policy.rules.slice(0, reachable);
  rules.forEach((later, index) => {
    if (later.type === 'auto_approve') return;
    for (let before = 0; before < index; before++) {
      const earlier = rules[before] as PolicyRule;
      if (earlier.type === 'auto_approve') continue;
      // Two risk rules never match the same task at different levels (a level routed twice is
      // reported above); a later rule an earlier one covers entirely is reported as never matching.
      if (earlier.type === 'risk' && later.type === 'risk') continue;
      if (coveredBy(earlier, later, '')) continue;
      const pair = routedAs(config, earlier)
        .flatMap(([given, givenTo]) =>
          routedAs(config, later).map(([wanted, wantedBy]) => ({ given, givenTo, wanted, wantedBy })),
        )
        .filter(({ given, wanted }) => wanted > given)
        .sort((a, b) => b.wanted - b.given - (a.wanted - a.given))[0];
      if (!pair) continue;
      warnings.push({
        code: 'fewer_levels_first',
        path: rulePath(index),
        message: `${ruleName(index, later)} asks ${plural(pair.wanted, 'approval level')} for ${pair.wantedBy}, but ${ruleName(before, earlier)} comes first and gives ${pair.givenTo} only ${pair.given}: a task that is both gets ${pair.given}. Put ${ruleName(index, later)} first if it must win`,
      });
      break;
    }
  });
  return warnings;
}

/** The approval levels a review rule gives, with the tasks it gives them to (one entry per risk level for `risk`). */
function routedAs(config: QueueConfig, rule: PolicyRule): [levels: number, tasks: string][] {
  switch (rule.type) {
    case 'risk':
      return riskLevelsThatReview(rule).map((risk) => [reviewLevels(config, rule.levels[risk]), `${risk}-risk tasks`]);
    case 'auto_approve':
      return [];
    case 'field':
    case 'all':
    case 'any':
    case 'not':
      return rule.outcome === 'auto_approve' ? [] : [[reviewLevels(config, rule.levels), describeMatch(rule)]];
    default:
      return [[reviewLevels(config, rule.levels), describeMatch(rule)]];
  }
}

function describeMatch(rule: PolicyRule): string {
  switch (rule.type) {
    case 'confidence_below':
      return `tasks with confidence below ${rule.threshold}`;
    case 'flag':
      return `tasks flagged "${rule.name}"`;
    case 'sample':
      return 'sampled tasks';
    case 'risk':
      return `${riskLevelsThatReview(rule).join('/')}-risk tasks`;
    case 'auto_approve':
      return 'every task';
    case 'field':
    case 'all':
    case 'any':
    case 'not':
      return `tasks where ${describeCondition(rule)}`;
  }
}

function escalationWarnings(config: QueueConfig): ConfigWarning[] {
  const warnings: ConfigWarning[] = [];
  const deadlines = [config.sla.seconds, ...Object.values(config.sla.byRisk)].filter(
    (seconds): seconds is number => typeof seconds === 'number',
  );
  const shortest = deadlines.length === 0 ? null : Math.min(...deadlines);
  config.escalation.forEach((step, index) => {
    const path = `escalation[${index}]`;
    if (step.afterSeconds === config.timeoutAfterSeconds) {
      warnings.push({
        code: 'escalation_at_timeout',
        path,
        message: `Runs at the same moment as the timeout action (${config.timeoutAction}), so the task ends as this ${step.action} happens; move it earlier or the timeout later`,
      });
    }
    if (shortest !== null && step.afterSeconds < 0 && -step.afterSeconds >= shortest) {
      warnings.push({
        code: 'escalation_before_creation',
        path,
        message: `Runs ${-step.afterSeconds} s before the deadline, but some tasks are due ${shortest} s after creation: for them it runs as soon as they are created`,
      });
    }
  });
  if (config.escalation.length > 0 && deadlines.length === 0) {
    warnings.push({
      code: 'escalation_without_deadline',
      path: 'sla',
      message:
        'The queue sets no deadline (sla.seconds and sla.byRisk are empty): the escalation chain only runs for tasks that bring their own slaSeconds or dueAt',
    });
  }
  return warnings;
}

/** Every warning for a parsed queue config, in the order the config is written. */
export function queueConfigWarnings(config: QueueConfig): ConfigWarning[] {
  return [...policyWarnings(config), ...escalationWarnings(config)];
}
