import type { Actor } from '@loopgate/shared';
import { foldClosedTasks } from '../../domain/analytics/fold-rollups.js';
import { readAnalytics } from '../../domain/analytics/read-analytics.js';
import type { Principal } from '../../domain/kernel/access.js';
import type { Store } from '../../domain/store.js';
import {
  agentTasks as agentTasksOf,
  type ClosedTaskSeed,
  POLICY,
  seedClosedTasks,
  seedOpenTasks,
} from '../../test-support/analytics-seed.js';
import { DATABASES, openTestStore } from '../../test-support/databases.js';

/**
 * The analytics numbers over a small seeded dataset, every expected value computed by hand in the
 * comments (see docs/analytics.md for the definitions), on each database.
 */
const WS = 'wsp_analytics';
const DRIFT_WS = 'wsp_analytics_drift';
const ANN: Actor = { type: 'user', id: 'usr_ann', name: 'ann@example.com' };
const BO: Actor = { type: 'api_key', id: 'key_bo', name: 'bo-bot' };
/** Wednesday 2026-03-04 09:00 UTC; the range asked for is Monday 03-02 to Sunday 03-08. */
const T = Date.UTC(2026, 2, 4, 9, 0, 0);
const S = 1000;
const RANGE = { from: '2026-03-02', to: '2026-03-08', interval: 'day' as const };
const viewer = (workspaceId: string): Principal => ({
  workspaceId,
  role: 'viewer',
  actor: { type: 'user', id: 'usr_viewer', name: 'viewer' },
});

// Offered→decided and claimed→decided times are chosen to land in known histogram buckets:
// edges (s) 10, 30, 60, 120, 300, 600, 900, …
const seeds: ClosedTaskSeed[] = [
  // ann: 40 s offered (bucket 30–60), 30 s claimed (10–30), in SLA, not fast (30 s ≥ 5 s per KB).
  {
    id: 'tsk_a1',
    workspaceId: WS,
    queue: 'refunds',
    createdAt: T,
    claimedAt: T + 10 * S,
    closedAt: T + 40 * S,
    status: 'approved',
    by: ANN,
    dueAt: T + 300 * S,
    confidence: 0.92,
  },
  // ann: 3 s, unclaimed: fast; in SLA.
  {
    id: 'tsk_a2',
    workspaceId: WS,
    queue: 'refunds',
    createdAt: T,
    closedAt: T + 3 * S,
    status: 'approved',
    by: ANN,
    dueAt: T + 300 * S,
    confidence: 0.95,
  },
  // ann: modified after 660 s (600–900), claimed 600 s before (300–600): late, a breach; diff of 7 characters.
  // On the board: Pending 0–60 s, In Progress 60–120 s, released to Pending 120–180 s, claimed again
  // 180–660 s: 120 s pending and 540 s in progress.
  {
    id: 'tsk_a3',
    workspaceId: WS,
    queue: 'refunds',
    createdAt: T,
    claimedAt: T + 60 * S,
    moves: [
      { type: 'released', at: T + 120 * S },
      { type: 'claimed', at: T + 180 * S },
    ],
    closedAt: T + 660 * S,
    status: 'approved_with_modifications',
    by: ANN,
    dueAt: T + 300 * S,
    confidence: 0.55,
    diff: '-a\n+bcd',
  },
  // ann: rejected after 100 s (60–120), no deadline: outside the SLA numbers. A first vote at 40 s put
  // it in review: 40 s pending, 60 s under Needs Approval.
  {
    id: 'tsk_a4',
    workspaceId: WS,
    queue: 'refunds',
    createdAt: T,
    moves: [{ type: 'vote', at: T + 40 * S, toStatus: 'in_review' }],
    closedAt: T + 100 * S,
    status: 'rejected',
    by: ANN,
    confidence: 0.15,
  },
  // bo: 20 s (10–30), in SLA.
  {
    id: 'tsk_b1',
    workspaceId: WS,
    queue: 'refunds',
    createdAt: T,
    closedAt: T + 20 * S,
    status: 'approved',
    by: BO,
    dueAt: T + 300 * S,
    confidence: 0.81,
  },
  // Expired by the sweeper after escalating: a breach, no reviewer. A reminder at 200 s left the card
  // where it was; raising the priority at 300 s moved it to Escalated: 300 s pending, 1 s escalated.
  {
    id: 'tsk_x1',
    workspaceId: WS,
    queue: 'refunds',
    createdAt: T,
    moves: [
      { type: 'escalated', at: T + 200 * S, data: { step: 'reminder', index: 0 } },
      { type: 'escalated', at: T + 300 * S, data: { step: 'raise_priority', index: 1 } },
    ],
    closedAt: T + 301 * S,
    status: 'expired',
    dueAt: T + 300 * S,
    escalated: true,
  },
  // Two auto-approvals and a cancellation on another queue: no SLA numbers there.
  { id: 'tsk_p1', workspaceId: WS, queue: 'claims', createdAt: T, closedAt: T, status: 'approved', by: POLICY },
  { id: 'tsk_p2', workspaceId: WS, queue: 'claims', createdAt: T, closedAt: T, status: 'approved', by: POLICY },
  {
    id: 'tsk_c1',
    workspaceId: WS,
    queue: 'claims',
    createdAt: T,
    closedAt: T + 5 * S,
    status: 'cancelled',
    dueAt: T + 300 * S,
  },
  // The previous period (02-23 … 03-01): one auto-approval, for the summary's trend.
  {
    id: 'tsk_old',
    workspaceId: WS,
    queue: 'claims',
    createdAt: T - 7 * 86_400_000,
    closedAt: T - 7 * 86_400_000,
    status: 'approved',
    by: POLICY,
  },
];

const agentTasks = (agentId: string, prefix: string, at: number, count: number, routed: number) =>
  agentTasksOf({ workspaceId: DRIFT_WS, agentId, prefix, at, count, routed, by: ANN });

for (const database of DATABASES) {
  describe(`${database}: analytics rollups and reports`, () => {
    let store: Store;
    let close: () => Promise<void>;
    let now = T + 30 * 86_400_000;
    const deps = () => ({ store, clock: () => now, costPerHour: 60 });
    const fold = (settleMs = 0, batchSize = 3) =>
      foldClosedTasks({ store, clock: () => now }, { batchSize, settleMs, fastSecondsPerKb: 5 });

    beforeAll(async () => {
      ({ store, close } = await openTestStore(database));
      await store.transaction(async (tx) => {
        await tx.workspaces.insert({ id: WS, slug: 'analytics', name: 'Analytics', createdAt: 1 });
        await tx.workspaces.insert({ id: DRIFT_WS, slug: 'analytics-drift', name: 'Drift', createdAt: 1 });
      });
      await seedClosedTasks(store, seeds);
      const recentDay = Date.UTC(2026, 2, 5, 10); // in the last 7 days up to 03-08
      const baselineDay = Date.UTC(2026, 1, 15, 10); // in the 28 days before them
      await seedClosedTasks(store, [
        // Drifts: intervention 10 of 40 (0.25) before, 30 of 40 (0.75) now.
        ...agentTasks('agt_drifty', 'dr_old', baselineDay, 40, 10),
        ...agentTasks('agt_drifty', 'dr_new', recentDay, 40, 30),
        // Steady: 20 of 40 (0.5) before, 22 of 40 (0.55) now.
        ...agentTasks('agt_steady', 'st_old', baselineDay, 40, 20),
        ...agentTasks('agt_steady', 'st_new', recentDay, 40, 22),
      ]);
    }, 60_000);
    afterAll(async () => close());

    test('the job folds every closed task once, in batches, and a re-run folds nothing', async () => {
      expect(await fold()).toBe(seeds.length + 160);
      const year = { fromDay: '2026-01-01', toDay: '2026-12-31' };
      const work = await store.read.analytics.listRollups(WS, { cube: 'work', ...year });
      const byReviewer = await store.read.analytics.listRollups(WS, { cube: 'reviewers', ...year });
      expect(await fold()).toBe(0);
      expect(await store.read.analytics.listRollups(WS, { cube: 'work', ...year })).toEqual(work);
      expect(await store.read.analytics.listRollups(WS, { cube: 'reviewers', ...year })).toEqual(byReviewer);
      // work: one rollup per (day, queue, source, agent, version), whoever decided: refunds and claims
      // on 03-04, claims on 02-25. reviewers: one per (day, queue, agent, reviewer) a person decided:
      // refunds×ann and refunds×bo (the expired task has no reviewer), source and version left ''.
      expect(work.map((r) => [r.day, r.queue, r.reviewerId]).sort()).toEqual([
        ['2026-02-25', 'claims', ''],
        ['2026-03-04', 'claims', ''],
        ['2026-03-04', 'refunds', ''],
      ]);
      expect(byReviewer.map((r) => [r.day, r.queue, r.source, r.reviewerId, r.reviewerName]).sort()).toEqual([
        ['2026-03-04', 'refunds', '', 'key_bo', 'bo-bot'],
        ['2026-03-04', 'refunds', '', 'usr_ann', 'ann@example.com'],
      ]);
      // Both tables count the same human decisions.
      const decisions = (rows: typeof work) => rows.reduce((sum, r) => sum + r.approved + r.modified + r.rejected, 0);
      expect(decisions(byReviewer)).toBe(decisions(work));
      const watermark = await store.read.analytics.readWatermark();
      expect(watermark).toMatchObject({ foldedAt: now });
    });

    test('reviewers: rates, median and p90 from the histograms, fast share, late decisions', async () => {
      const report = await readAnalytics(deps(), viewer(WS), 'reviewers', RANGE);
      expect(report.freshness).toEqual({ foldedAt: now, lagMs: 0 });
      const reviewers = report.reviewers;
      expect(reviewers).toEqual([
        {
          reviewerId: 'usr_ann',
          reviewerName: 'ann@example.com',
          // approve 2, modify 1, reject 1 of 4
          decisions: 4,
          approveRate: 0.5,
          modifyRate: 0.25,
          rejectRate: 0.25,
          // offered: 3 s, 40 s, 100 s, 660 s in buckets 0, 2, 3, 6. Median rank 2 falls in bucket 2
          // (30–60 s) with 1 before it: 30 + 30·(2−1)/1 = 60 s. p90 rank 3.6 in bucket 6 (600–900 s),
          // 3 before: 600 + 300·0.6 = 780 s.
          medianOfferedMs: 60_000,
          p90OfferedMs: 780_000,
          // claimed: 30 s (bucket 1, 10–30) and 600 s (bucket 5, 300–600). Median rank 1: 10 + 20·1 = 30 s;
          // p90 rank 1.8: 300 + 300·0.8 = 540 s.
          medianClaimedMs: 30_000,
          p90ClaimedMs: 540_000,
          // only the 3-second decision is under 5 s per KB
          fastShare: 0.25,
          lateDecisions: 1,
        },
        {
          reviewerId: 'key_bo',
          reviewerName: 'bo-bot',
          decisions: 1,
          approveRate: 1,
          modifyRate: 0,
          rejectRate: 0,
          // 20 s alone in bucket 1 (10–30 s): rank 0.5 → 10 + 20·0.5 = 20 s; rank 0.9 → 28 s.
          medianOfferedMs: 20_000,
          p90OfferedMs: 28_000,
          medianClaimedMs: null,
          p90ClaimedMs: null,
          fastShare: 0,
          lateDecisions: 0,
        },
      ]);
    });

    test('sla: share within SLA and breaches per queue; cancelled and undated tasks are left out', async () => {
      const report = await readAnalytics(deps(), viewer(WS), 'sla', RANGE);
      const queues = report.queues;
      // refunds: a1, a2, b1 in time; a3 late; x1 expired → 3 of 5, 2 breaches, 1 escalated.
      // Median offered→decided over the 5 human decisions (3, 20, 40, 100, 660 s; buckets 0, 1, 2, 3, 6):
      // rank 2.5 in bucket 2 (30–60 s), 2 before: 30 + 30·0.5 = 45 s.
      expect(queues).toEqual([
        {
          queue: 'refunds',
          tasksWithSla: 5,
          withinSla: 3,
          withinSlaShare: 0.6,
          breaches: 2,
          escalated: 1,
          medianDecisionMs: 45_000,
          // Time per board stage (edges 10, 30, 60, 120, 300, 600 s):
          // Pending: a2 3, a1 10, b1 20, a4 40, a3 120, x1 300 s in buckets 0, 0, 1, 2, 3, 4. Rank 3 falls
          // in bucket 1 (10–30 s) with 2 before it: 10 + 20·(3−2)/1 = 30 s.
          // In Progress: a1 30 s (bucket 1) and a3 540 s (bucket 5). Rank 1 in bucket 1: 10 + 20·1 = 30 s.
          // Needs Approval: a4 60 s alone in bucket 2 (30–60 s): 30 + 30·0.5 = 45 s.
          // Escalated: x1 1 s alone in bucket 0 (0–10 s): 10·0.5 = 5 s.
          medianStageMs: { pending: 30_000, in_progress: 30_000, needs_approval: 45_000, escalated: 5_000 },
          stageTasks: { pending: 6, in_progress: 2, needs_approval: 1, escalated: 1 },
        },
        {
          queue: 'claims',
          tasksWithSla: 0,
          withinSla: 0,
          withinSlaShare: null,
          breaches: 0,
          escalated: 0,
          medianDecisionMs: null,
          // Only the cancellation waited (5 s pending, bucket 0: 10·0.5 = 5 s); auto-approvals never showed on the board.
          medianStageMs: { pending: 5_000, in_progress: null, needs_approval: null, escalated: null },
          stageTasks: { pending: 1, in_progress: 0, needs_approval: 0, escalated: 0 },
        },
      ]);
      expect(report.series).toEqual([{ period: '2026-03-04', tasksWithSla: 5, withinSlaShare: 0.6, breaches: 2 }]);
      const weekly = await readAnalytics(deps(), viewer(WS), 'sla', { ...RANGE, interval: 'week' });
      expect(weekly.series).toEqual([{ period: '2026-03-02', tasksWithSla: 5, withinSlaShare: 0.6, breaches: 2 }]);
      const claimsOnly = await readAnalytics(deps(), viewer(WS), 'sla', { ...RANGE, queue: 'claims' });
      expect(claimsOnly.queues.map((q) => q.queue)).toEqual(['claims']);
    });

    test('sla: the current backlog by age per queue, counted over open tasks only, whatever the range', async () => {
      const H = 3_600_000;
      await seedOpenTasks(store, [
        { id: 'tsk_open_r1', workspaceId: WS, queue: 'refunds', createdAt: now - 10 * 60 * S },
        // Exactly an hour old: the 1–4 h bucket (each bucket holds its upper edge's age and above).
        { id: 'tsk_open_r2', workspaceId: WS, queue: 'refunds', createdAt: now - H, status: 'in_review' },
        { id: 'tsk_open_r3', workspaceId: WS, queue: 'refunds', createdAt: now - 2 * H },
        { id: 'tsk_open_r4', workspaceId: WS, queue: 'refunds', createdAt: now - 20 * H },
        { id: 'tsk_open_c1', workspaceId: WS, queue: 'claims', createdAt: now - 30 * H },
        { id: 'tsk_open_c2', workspaceId: WS, queue: 'claims', createdAt: now - 5 * 24 * H },
        // Another workspace's open task is not this one's backlog.
        { id: 'tsk_open_other', workspaceId: DRIFT_WS, queue: 'refunds', createdAt: now - 10 * 60 * S },
      ]);
      const report = await readAnalytics(deps(), viewer(WS), 'sla', RANGE);
      expect(report.backlog.asOf).toBe(now);
      // Largest backlog first; the closed tasks of both queues are not counted.
      expect(report.backlog.queues).toEqual([
        {
          queue: 'refunds',
          open: 4,
          byAge: [
            { age: '< 1 h', tasks: 1 },
            { age: '1–4 h', tasks: 2 },
            { age: '4–24 h', tasks: 1 },
            { age: '1–3 d', tasks: 0 },
            { age: '> 3 d', tasks: 0 },
          ],
        },
        {
          queue: 'claims',
          open: 2,
          byAge: [
            { age: '< 1 h', tasks: 0 },
            { age: '1–4 h', tasks: 0 },
            { age: '4–24 h', tasks: 0 },
            { age: '1–3 d', tasks: 1 },
            { age: '> 3 d', tasks: 1 },
          ],
        },
      ]);
      const claimsOnly = await readAnalytics(deps(), viewer(WS), 'sla', { ...RANGE, queue: 'claims' });
      expect(claimsOnly.backlog.queues.map((q) => [q.queue, q.open])).toEqual([['claims', 2]]);
      const other = await readAnalytics(deps(), viewer(DRIFT_WS), 'sla', RANGE);
      expect(other.backlog.queues.map((q) => [q.queue, q.open])).toEqual([['refunds', 1]]);
    });

    test('roi: the executive summary against the previous period, cost at the hourly rate', async () => {
      const report = await readAnalytics(deps(), viewer(WS), 'roi', RANGE);
      // Handling: a1 30 s (claimed→decided), a2 3 s, a3 600 s (claimed), a4 100 s, b1 20 s = 753 s = 12.55 min.
      // Cost at 60 an hour: 12.55 / 60 · 60 = 12.55. Errors caught: a3 modified + a4 rejected.
      expect(report.summary.current).toEqual({
        tasks: 9,
        autoApprovedShare: 2 / 9,
        reviewerMinutes: 12.55,
        cost: expect.closeTo(12.55, 10),
        errorsCaught: 2,
        withinSlaShare: 0.6,
      });
      expect(report.summary.previous).toEqual({
        tasks: 1,
        autoApprovedShare: 1,
        reviewerMinutes: 0,
        cost: 0,
        errorsCaught: 0,
        withinSlaShare: null,
      });
    });

    test('agents: drift raised for a rate that tripled, not raised for a small change; workspaces apart', async () => {
      const report = await readAnalytics(deps(), viewer(DRIFT_WS), 'agents', RANGE);
      const [drifty, steady] = report.drift;
      // Drifty: 30/40 vs 10/40, pooled 0.5, sd √(0.25·(1/40+1/40)) = 0.1118: z = 0.5 / 0.1118 = √20 = 4.472.
      expect(drifty?.agentId).toBe('agt_drifty');
      expect(drifty?.recent).toEqual({ from: '2026-03-02', to: '2026-03-08' });
      expect(drifty?.baseline).toEqual({ from: '2026-02-02', to: '2026-03-01' });
      const intervention = drifty?.metrics.find((m) => m.metric === 'intervention');
      expect(intervention?.test.z).toBeCloseTo(Math.sqrt(20), 6);
      expect(intervention?.test.pValue).toBeLessThan(1e-5);
      expect(intervention?.drifted).toBe(true);
      // Its modification rate has only 10 human decisions before: too few to judge.
      expect(drifty?.metrics.find((m) => m.metric === 'modification')?.skipped).toBe('too_few_tasks');
      expect(drifty?.drifted).toBe(true);
      // Steady: 22/40 vs 20/40, pooled 0.525, sd √(0.525·0.475·0.05) = 0.11166: z = 0.05 / 0.11166 = 0.4478, p = 0.654.
      const steadyIntervention = steady?.metrics.find((m) => m.metric === 'intervention');
      expect(steadyIntervention?.test.z).toBeCloseTo(0.4478, 3);
      expect(steadyIntervention?.test.pValue).toBeCloseTo(0.654, 2);
      expect(steady?.drifted).toBe(false);
      // The range holds only the recent tasks: drifty 30 of 40 routed.
      expect(report.agents.map((a) => [a.agentId, a.agentVersion, a.tasks, a.interventionRate])).toEqual([
        ['agt_drifty', '1.0', 40, 0.75],
        ['agt_steady', '1.0', 40, 0.55],
      ]);
      // The other workspace's tasks are not this one's.
      const other = await readAnalytics(deps(), viewer(WS), 'agents', RANGE);
      expect(other.drift).toEqual([]);
    });

    test('calibration: approved unchanged by confidence bucket', async () => {
      const report = await readAnalytics(deps(), viewer(WS), 'agents', RANGE);
      const decided = report.calibration.buckets.map((b) => [b.decided, b.approvedUnchanged, b.rejected]);
      // a4 0.15 rejected → bucket 1; a3 0.55 modified → 5; b1 0.81 → 8; a1 0.92 and a2 0.95 → 9.
      expect(decided).toEqual([
        [0, 0, 0],
        [1, 0, 1],
        [0, 0, 0],
        [0, 0, 0],
        [0, 0, 0],
        [1, 0, 0],
        [0, 0, 0],
        [0, 0, 0],
        [1, 1, 0],
        [2, 2, 0],
      ]);
      // 3 unchanged above 0.8, fewer than the 20 decisions a suggestion needs.
      expect(report.calibration.suggestion).toBeNull();
    });

    test('a task closed inside the settle margin waits for the next run; one closed later adds to its rollup', async () => {
      // Later than everything folded so far (the drift tasks of 03-05), as a newly closed task is.
      const closedAt = Date.UTC(2026, 2, 6, 12);
      await seedClosedTasks(store, [
        {
          id: 'tsk_late',
          workspaceId: WS,
          queue: 'claims',
          createdAt: closedAt - 60 * S,
          closedAt,
          status: 'approved',
          by: POLICY,
        },
      ]);
      now = closedAt + 10 * S;
      expect(await fold(30_000)).toBe(0);
      now = closedAt + 40 * S;
      expect(await fold(30_000)).toBe(1);
      const report = await readAnalytics(deps(), viewer(WS), 'roi', RANGE);
      expect(report.summary.current).toMatchObject({ tasks: 10, autoApprovedShare: 0.3 });
    });

    test('two runs at once fold each task once', async () => {
      const closedAt = Date.UTC(2026, 2, 7, 12);
      await seedClosedTasks(
        store,
        Array.from({ length: 5 }, (_, index) => ({
          id: `tsk_race_${index}`,
          workspaceId: WS,
          queue: 'claims',
          createdAt: closedAt,
          closedAt: closedAt + index,
          status: 'approved' as const,
          by: POLICY,
        })),
      );
      now = closedAt + 60 * S;
      const [one, two] = await Promise.all([fold(0, 2), fold(0, 2)]);
      expect((one ?? 0) + (two ?? 0)).toBe(5);
      const report = await readAnalytics(deps(), viewer(WS), 'roi', RANGE);
      // 10 before, 5 more auto-approved: 8 of 15.
      expect(report.summary.current).toMatchObject({ tasks: 15, autoApprovedShare: 8 / 15 });
    });
  });
}
