import {
  BACKTEST_DEFAULT_DAYS,
  BACKTEST_MAX_DAYS,
  BACKTEST_MAX_TASKS,
  detectorLabel,
  type PolicyBacktestInput,
  type PolicyBacktestResult,
  type QueueConfig,
  type TaskClassification,
} from '@loopgate/shared';
import { authorize, type Principal } from '../kernel/access.js';
import { AppError } from '../kernel/errors.js';
import { iso } from '../kernel/iso-time.js';
import type { PolicyHistoryRepository, ReplayCursor, ReplayTask } from './approval-ports.js';
import { type ConfigWarning, queueConfigWarnings } from './policy-warnings.js';
import { getQueue, type QueueServiceDeps } from './queues.js';
import { reportedRiskLevel, routeTask } from './route-task.js';
import type { RoutableTask, RoutingOutcome } from './routing-policy.js';

/**
 * "Backtest before changing a policy": replay a queue's past tasks through a proposed config and
 * count what would have changed — above all, the decisions people made (rejections, modifications)
 * that the new config would have let through with nobody looking. Reads only; nothing is saved.
 */

const DAY_MS = 86_400_000;
/** Tasks read per query: big enough that 100k tasks are 20 round trips, small enough to stay cheap in memory. */
export const REPLAY_PAGE = 5_000;

/**
 * The one place a backtest routes a task: the same routeTask creation uses (classify, raise the risk,
 * then the policy), on the risk level the agent reported — a stored task's riskLevel is the one its
 * own classification raised it to, which the proposed detectors must not start from. Returns the
 * labels of the detectors that fired (detectorLabel: a custom detector's name, else the kind's label).
 */
export function replayRouting(
  config: QueueConfig,
  task: RoutableTask & { classification?: TaskClassification | null },
): { routing: RoutingOutcome; detectors: string[] } {
  const { routing, classification } = routeTask(config, { ...task, riskLevel: reportedRiskLevel(task) });
  return { routing, detectors: (classification?.findings ?? []).map(detectorLabel) };
}

type Outcome = RoutingOutcome['outcome'];
// People: members (signed in or by their key) and external reviewers deciding through their link.
const HUMAN_ACTORS = new Set(['user', 'api_key', 'guest']);

interface RuleTally {
  rule: string;
  path: string;
  outcomes: Set<Outcome>;
  count: number;
  toHumans: number;
  autoApproved: number;
  humanRejected: number;
  humanModified: number;
  reason: string | null;
}

/** The rule names routing gives (`rules[2]:field`, `otherwise`), in config order, with their config paths. */
function ruleSlots(config: QueueConfig): RuleTally[] {
  const blank = (rule: string, path: string): RuleTally => ({
    rule,
    path,
    outcomes: new Set(),
    count: 0,
    toHumans: 0,
    autoApproved: 0,
    humanRejected: 0,
    humanModified: 0,
    reason: null,
  });
  return [
    ...config.policy.rules.map((rule, index) => blank(`rules[${index}]:${rule.type}`, `policy.rules[${index}]`)),
    blank('otherwise', 'policy.otherwise'),
  ];
}

/**
 * The pure core: feed it tasks (any order, any number of pages), then read the result. Holds counts
 * only, never the tasks, so memory does not grow with the range.
 */
export class BacktestTally {
  private readonly rules: RuleTally[];
  private readonly byName: Map<string, RuleTally>;
  private readonly detectorHits = new Map<string, number>();
  private replayed = 0;
  private notReplayable = 0;
  private toHumans = 0;
  private autoApproved = 0;
  private readonly current = { toHumans: 0, autoApproved: 0 };
  private readonly humanDecided = {
    total: 0,
    wouldAutoApprove: 0,
    ofWhichApproved: 0,
    ofWhichModified: 0,
    ofWhichRejected: 0,
  };

  constructor(
    private readonly proposed: QueueConfig,
    private readonly currentConfig: QueueConfig,
  ) {
    this.rules = ruleSlots(proposed);
    // Every configured detector starts at 0, so one that never fires is named (detector_never_fired).
    for (const detector of proposed.classification.detectors) this.detectorHits.set(detectorLabel(detector), 0);
    this.byName = new Map(this.rules.map((slot) => [slot.rule, slot]));
  }

  add(task: ReplayTask): void {
    if (task.erased) {
      this.notReplayable++;
      return;
    }
    this.replayed++;
    const { routing, detectors } = replayRouting(this.proposed, task);
    for (const name of detectors) this.detectorHits.set(name, (this.detectorHits.get(name) ?? 0) + 1);
    // Omitting the config backtests the current one: routing once says both.
    const was = this.proposed === this.currentConfig ? routing : replayRouting(this.currentConfig, task).routing;
    if (was.outcome === 'review') this.current.toHumans++;
    else this.current.autoApproved++;

    const auto = routing.outcome === 'auto_approve';
    if (auto) this.autoApproved++;
    else this.toHumans++;
    const human = task.decision !== null && HUMAN_ACTORS.has(task.decision.by) ? task.decision.action : null;
    const slot = this.byName.get(routing.rule);
    if (slot) {
      slot.count++;
      slot.outcomes.add(routing.outcome);
      if (auto) slot.autoApproved++;
      else slot.toHumans++;
      if (human === 'reject') slot.humanRejected++;
      if (human === 'approve_with_modifications') slot.humanModified++;
      slot.reason ??= routing.reason;
    }
    if (human === null) return;
    this.humanDecided.total++;
    if (!auto) return;
    this.humanDecided.wouldAutoApprove++;
    if (human === 'reject') this.humanDecided.ofWhichRejected++;
    else if (human === 'approve_with_modifications') this.humanDecided.ofWhichModified++;
    else this.humanDecided.ofWhichApproved++;
  }

  result(queue: string, range: { from: number; to: number }, truncated: boolean): PolicyBacktestResult {
    const detectors = [...this.detectorHits].map(([name, fired]) => ({ name, fired }));
    const counts = {
      tasks: this.replayed + this.notReplayable,
      replayed: this.replayed,
      notReplayable: this.notReplayable,
      toHumans: this.toHumans,
      autoApproved: this.autoApproved,
      humanDecided: { ...this.humanDecided },
    };
    return {
      queue,
      range: { from: iso(range.from), to: iso(range.to) },
      ...counts,
      truncated,
      current: { ...this.current },
      byRule: this.rules.map(({ outcomes, ...slot }) => ({
        ...slot,
        outcome:
          outcomes.size === 1
            ? ([...outcomes][0] as Outcome)
            : outcomes.size === 0
              ? fixedOutcome(this.proposed, slot.rule)
              : 'mixed',
      })),
      detectors,
      warnings: [
        ...queueConfigWarnings(this.proposed),
        ...rangeWarnings(this.proposed, this.rules, this.replayed),
        ...detectorWarnings(this.proposed, detectors),
      ],
      summary: backtestSummary(counts),
    };
  }
}

/** What a rule that decided nothing would have done: its own outcome (for the by-rule table's column). */
function fixedOutcome(config: QueueConfig, rule: string): Outcome {
  if (rule === 'otherwise') return config.policy.otherwise;
  const index = Number(/^rules\[(\d+)\]/.exec(rule)?.[1]);
  const written = config.policy.rules[index];
  if (!written) return 'review';
  if (written.type === 'auto_approve') return 'auto_approve';
  return 'outcome' in written && written.outcome === 'auto_approve' ? 'auto_approve' : 'review';
}

/**
 * Rules that matched none of the replayed tasks: valid, reachable on paper, but dead in practice
 * over the range (a threshold no agent goes under, a flag nobody sets). Rules the config warnings
 * already call unreachable are not reported twice.
 */
function rangeWarnings(config: QueueConfig, rules: RuleTally[], replayed: number): ConfigWarning[] {
  if (replayed === 0) return [];
  const already = new Set(
    queueConfigWarnings(config)
      .filter((warning) => warning.code === 'rule_never_reached' || warning.code === 'rule_never_matches')
      .map((warning) => warning.path),
  );
  return rules
    .filter((slot) => slot.count === 0 && slot.rule !== 'otherwise' && !already.has(slot.path))
    .map((slot) => ({
      code: 'rule_unmatched_in_range' as const,
      path: slot.path,
      message: `${slot.rule} decided none of the ${replayed.toLocaleString('en-US')} replayed tasks: in this range every task was decided before it or matched nothing it looks at`,
    }));
}

/** Configured detectors that fired on no replayed task, each at its place in the config. */
export function detectorWarnings(config: QueueConfig, detectors: { name: string; fired: number }[]): ConfigWarning[] {
  const silent = new Set(detectors.filter((detector) => detector.fired === 0).map((detector) => detector.name));
  return config.classification.detectors.flatMap((detector, index) => {
    const label = detectorLabel(detector);
    if (!silent.has(label)) return [];
    silent.delete(label);
    return [
      {
        code: 'detector_never_fired' as const,
        path: `classification.detectors.${index}`,
        message: `The detector "${label}" fired on none of the replayed tasks: check it is needed, or that its pattern matches what agents send`,
      },
    ];
  });
}

const n = (value: number) => value.toLocaleString('en-US');
const tasks = (value: number) => `${n(value)} task${value === 1 ? '' : 's'}`;

/** "Of 1,240 tasks: 1,100 to people, 140 auto-approved. Of the 900 that people decided, 40 would now be auto-approved — including 3 rejections and 2 modifications." */
export function backtestSummary(counts: {
  tasks: number;
  replayed: number;
  notReplayable: number;
  toHumans: number;
  autoApproved: number;
  humanDecided: PolicyBacktestResult['humanDecided'];
}): string {
  if (counts.tasks === 0) return 'The queue created no tasks in this range, so there is nothing to replay.';
  const parts: string[] = [];
  if (counts.replayed > 0) {
    parts.push(
      `Of ${tasks(counts.replayed)}: ${n(counts.toHumans)} to people, ${n(counts.autoApproved)} auto-approved.`,
    );
    const decided = counts.humanDecided;
    if (decided.total === 0) parts.push('People decided none of them.');
    else {
      const caught = [
        decided.ofWhichRejected > 0
          ? `${n(decided.ofWhichRejected)} rejection${decided.ofWhichRejected === 1 ? '' : 's'}`
          : '',
        decided.ofWhichModified > 0
          ? `${n(decided.ofWhichModified)} modification${decided.ofWhichModified === 1 ? '' : 's'}`
          : '',
      ].filter(Boolean);
      parts.push(
        `Of the ${n(decided.total)} that people decided, ${
          decided.wouldAutoApprove === 0 ? 'none' : n(decided.wouldAutoApprove)
        } would now be auto-approved${caught.length > 0 ? ` — including ${caught.join(' and ')}` : ''}.`,
      );
    }
  }
  if (counts.notReplayable > 0) {
    parts.push(
      `${tasks(counts.notReplayable)} could not be replayed: payload retention erased ${counts.notReplayable === 1 ? 'its' : 'their'} payload.`,
    );
  }
  return parts.join(' ');
}

/** The range asked for, with its defaults, checked: `to` after `from`, at most BACKTEST_MAX_DAYS apart. */
export function backtestRange(input: { from?: string; to?: string }, now: number): { from: number; to: number } {
  const to = input.to === undefined ? now : Date.parse(input.to);
  const from = input.from === undefined ? to - BACKTEST_DEFAULT_DAYS * DAY_MS : Date.parse(input.from);
  if (from >= to) {
    throw new AppError('validation_failed', 'The range is empty', [{ path: 'from', message: 'must be before to' }]);
  }
  if (to - from > BACKTEST_MAX_DAYS * DAY_MS) {
    throw new AppError('validation_failed', `A backtest replays at most ${BACKTEST_MAX_DAYS} days`, [
      { path: 'from', message: `at most ${BACKTEST_MAX_DAYS} days before to` },
    ]);
  }
  return { from, to };
}

/** Every task of the range through the tally, page by page; true when it stopped at `max` tasks. */
export async function replayHistory(
  history: PolicyHistoryRepository,
  scope: { workspaceId: string; queue: string; range: { from: number; to: number } },
  tally: BacktestTally,
  max = BACKTEST_MAX_TASKS,
  page = REPLAY_PAGE,
): Promise<boolean> {
  let read = 0;
  let after: ReplayCursor | undefined;
  for (;;) {
    const limit = Math.min(page, max - read);
    if (limit <= 0) return true;
    const rows = await history.replayPage(scope.workspaceId, scope.queue, scope.range, limit, after);
    for (const task of rows) tally.add(task);
    read += rows.length;
    if (rows.length < limit) return false;
    const last = rows[rows.length - 1] as ReplayTask;
    after = { createdAt: last.createdAt, id: last.id };
    // Exactly `max` read and the page was full: whether more exist is one cheap probe away.
    if (read >= max) {
      return (await history.replayPage(scope.workspaceId, scope.queue, scope.range, 1, after)).length > 0;
    }
  }
}

/**
 * POST /api/v1/policy/backtest: the proposed config (validated as a queue save validates it; omitted:
 * the current one) over the queue's tasks created in the range, next to what the current config does
 * with the same tasks. Admin only, like saving the config it tests.
 */
export async function backtestPolicy(
  deps: QueueServiceDeps,
  principal: Principal,
  input: PolicyBacktestInput,
): Promise<PolicyBacktestResult> {
  authorize(principal, 'workspace:admin');
  const range = backtestRange(input, deps.clock());
  const queue = await getQueue(deps, principal, input.queue);
  const tally = new BacktestTally(input.config ?? queue.config, queue.config);
  const truncated = await replayHistory(
    deps.store.read.policyHistory,
    { workspaceId: principal.workspaceId, queue: queue.name, range },
    tally,
  );
  return tally.result(queue.name, range, truncated);
}
