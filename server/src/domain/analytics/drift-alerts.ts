import type { AgentDriftWebhookPayload, AgentWebhookEventType } from '@loopgate/shared';
import { queueWorkspaceEvent } from '../delivery/workspace-events.js';
import { iso } from '../kernel/iso-time.js';
import type { Store } from '../store.js';
import { type AgentDrift, addDays, agentDrift, DRIFT } from './analytics-reports.js';
import { utcDay } from './rollup.js';

export interface DriftAlertDeps {
  store: Store;
  clock: () => number;
}

export interface DriftAlertRun {
  /** Agents whose drift state this run changed, and to what. */
  detected: string[];
  cleared: string[];
}

/** The body subscribers receive: the test as the page shows it, for the agent whose state changed. */
export function driftPayload(type: AgentWebhookEventType, drift: AgentDrift, at: number): AgentDriftWebhookPayload {
  return {
    type,
    timestamp: iso(at),
    data: {
      agentId: drift.agentId,
      drifted: drift.drifted,
      recent: drift.recent,
      baseline: drift.baseline,
      alpha: DRIFT.alpha,
      metrics: drift.metrics.map((metric) => ({
        metric: metric.metric,
        recent: metric.test.recent,
        baseline: metric.test.baseline,
        z: metric.test.z,
        pValue: metric.test.pValue,
        drifted: metric.drifted,
        skipped: metric.skipped,
      })),
      driftedMetrics: drift.metrics.filter((metric) => metric.drifted).map((metric) => metric.metric),
    },
  };
}

/**
 * Runs the drift test of every agent with rollups in the last 35 days (the page's test, over the whole
 * workspace, up to today UTC) and sends `agent.drift_detected` when an agent's drift turns on and
 * `agent.drift_cleared` when it turns off: once per change, because the state moves compare-and-set in
 * the same transaction as the outbox rows. A run racing another (any process) loses the
 * compare-and-set and queues nothing; a rolled-back transaction leaves both the state and the outbox
 * as they were, so the next run tries again.
 */
export async function sendDriftAlerts(deps: DriftAlertDeps): Promise<DriftAlertRun> {
  const now = deps.clock();
  const toDay = utcDay(now);
  const fromDay = addDays(toDay, -(DRIFT.recentDays + DRIFT.baselineDays - 1));
  const run: DriftAlertRun = { detected: [], cleared: [] };
  for (const workspaceId of await deps.store.read.analytics.listDriftWorkspaces(fromDay)) {
    const [rollups, states] = await Promise.all([
      deps.store.read.analytics.listRollups(workspaceId, { cube: 'work', fromDay, toDay }),
      deps.store.read.analytics.listDriftStates(workspaceId),
    ]);
    const drifted = new Set(states.filter((state) => state.drifted).map((state) => state.agentId));
    // An agent marked drifted that has gone quiet is judged too: too few tasks is not a drift, so it clears.
    const agentIds = [...new Set([...rollups.map((r) => r.agentId).filter((id) => id !== ''), ...drifted])].sort();
    for (const agentId of agentIds) {
      const drift = agentDrift(agentId, rollups, toDay);
      if (drift.drifted === drifted.has(agentId)) continue;
      const type: AgentWebhookEventType = drift.drifted ? 'agent.drift_detected' : 'agent.drift_cleared';
      const changed = await deps.store.transaction(async (tx) => {
        if (!(await tx.analytics.markDrift(workspaceId, agentId, drift.drifted, now))) return false;
        await queueWorkspaceEvent(tx, {
          workspaceId,
          type,
          body: JSON.stringify(driftPayload(type, drift, now)),
          now,
        });
        return true;
      });
      if (changed) (drift.drifted ? run.detected : run.cleared).push(agentId);
    }
  }
  return run;
}
