import { queueConfigSchema } from '@loopgate/shared';
import { PASSWORD, useApprovalsWorld } from '../../test-support/approvals-world.js';
import { DATABASES } from '../../test-support/databases.js';
import { refusal } from '../../test-support/outcomes.js';
import { issueApiKey, revokeApiKey } from '../admin/api-keys.js';
import { upsertUser } from '../admin/users.js';
import { createQueue, createReviewerGroup, setReviewerGroupMembers, updateQueue } from '../approvals/queues.js';
import { renameReviewerGroup } from '../approvals/rename-group.js';
import { ensureSettings, rotateCallbackSecret, updateDeliverySettings } from '../delivery/delivery-settings.js';
import {
  createSubscription,
  type DeliveryServiceDeps,
  deleteSubscription,
  rotateSubscriptionSecret,
} from '../delivery/subscriptions.js';
import { haltTarget, resumeHalt } from '../halts/halts.js';
import type { Principal } from '../kernel/access.js';
import { AppError } from '../kernel/errors.js';
import { DEFAULT_BOARD_COLUMNS } from '../reviewers/board.js';
import { saveBoardConfig } from '../reviewers/board-config.js';
import { inviteMember, withdrawInvitation } from '../reviewers/invitations.js';
import { setWorkspaceTimeZone } from '../reviewers/mail-settings.js';
import { deactivateMember, reactivateMember, removeMember, renameMember, setMemberRole } from '../reviewers/members.js';
import {
  createSlackIntegration,
  deleteSlackIntegration,
  linkSlackUser,
  type SlackDeps,
} from '../slack/integrations.js';
import type { Repositories, Store } from '../store.js';
import type { AuditAction, AuditRecord, AuditRepository, AuditTargetType } from './audit-ports.js';
import { exportAuditLog } from './export-audit-log.js';
import { verifyAuditLog } from './verify-audit-log.js';

/**
 * Issue 16 item 1: every change to configuration and access lands in the ledger once, in its own
 * transaction. Each admin path below runs once for real (exactly one new entry, with its action,
 * target, actor, the actor's role and the request id) and once on a store whose transaction fails
 * right after the entry is appended (no entry, and the change itself is not there either). Paths
 * that refuse before writing (bad input, unknown ids) write nothing.
 */

/** A store whose transactions fail inside, just after the audit entry is written: what a late validation error does. */
function failingAfterEntry(store: Store): Store {
  const failing = (tx: Repositories): Repositories => {
    const audit: AuditRepository = Object.create(tx.audit);
    audit.append = async (record) => {
      await tx.audit.append(record);
      throw new AppError('validation_failed', 'refused after the entry was written');
    };
    return { ...tx, audit };
  };
  return {
    read: store.read,
    dialect: store.dialect,
    ping: () => store.ping(),
    close: () => store.close(),
    transaction: (work) => store.transaction((tx) => work(failing(tx))),
  };
}

let serial = 0;
const fresh = (prefix: string) => `${prefix}-${++serial}`;
const SIGNING_SECRET = 'slack-signing-secret-do-not-log';
const SLACK_URL_TOKEN = 'T000/B000/slacktokenpart';

for (const database of DATABASES) {
  describe(`${database}: configuration and access changes in the audit log`, () => {
    const w = useApprovalsWorld(database);
    const admin = () => w.as('admin');
    const reviewer = () => w.as('reviewer');
    const operator = { type: 'system', id: null, name: 'operator-cli', role: null };
    const actorOf = (principal: Principal) => ({ ...principal.actor, role: principal.role });

    const base = (store: Store) => ({ store, clock: w.clock });
    const delivery = (store: Store): DeliveryServiceDeps => ({ ...base(store), checkUrl: async () => undefined });
    const slack = (store: Store): SlackDeps => ({ ...delivery(store), publicUrl: 'http://loopgate.test' });
    const mail = (store: Store) => ({
      ...base(store),
      notifier: { send: async () => undefined },
      publicUrl: 'http://lg.test',
    });

    const log = async (): Promise<AuditRecord[]> => {
      const all: AuditRecord[] = [];
      for (let after = 0; ; ) {
        const page = await w.store.read.audit.list(w.workspaceId, after, 1000);
        if (page.length === 0) return all;
        all.push(...page);
        after = page.at(-1)?.seq ?? after;
      }
    };

    interface Path {
      action: AuditAction;
      target: AuditTargetType;
      /** The actor the entry must name, with the role held. */
      actor: () => object;
      /** What must hold before the change; its own entries are written before the count starts. */
      setup?: () => Promise<string>;
      /** The change, on `store`, with `requestId`; `prepared` is what setup returned. */
      change: (store: Store, requestId: string, prepared: string) => Promise<unknown>;
      /** The state the change moves, read back: equal before and after a failed change. */
      state: (prepared: string) => Promise<unknown>;
      /** What the entry's data must contain. */
      data?: object;
      /** Paths the operator runs from the CLI carry no request id. */
      operator?: boolean;
    }

    const subscription = async () => {
      const created = await createSubscription(delivery(w.store), admin(), {
        url: `https://hooks.example.com/${fresh('hook')}/secret-path?token=abc`,
        events: ['task.decided'],
      });
      return created.id;
    };
    const integration = async () =>
      (
        await createSlackIntegration(slack(w.store), admin(), {
          webhookUrl: `https://hooks.slack.com/services/${SLACK_URL_TOKEN}`,
          signingSecret: SIGNING_SECRET,
        })
      ).id;
    const webhookState = async (id: string) => w.store.read.webhooks.findById(w.workspaceId, id);
    const queueState = async (name: string) => w.store.read.queues.findByName(w.workspaceId, name);
    const groupState = async (name: string) => w.store.read.reviewerGroups.findByName(w.workspaceId, name);
    const settingsState = async () => ensureSettings(base(w.store), w.workspaceId);
    const member = async () => {
      const email = `${fresh('member')}@example.com`;
      return (await upsertUser(base(w.store), { email, password: PASSWORD, role: 'reviewer' })).userId;
    };
    const memberState = (userId: string) => w.store.read.users.findMembership(w.workspaceId, userId);
    const openInvitations = async () => w.store.read.invitations.listOpen(w.workspaceId);
    const membership = async (email: string) => {
      const user = await w.store.read.users.findByEmail(email);
      return user ? w.store.read.users.findMembership(w.workspaceId, user.id) : null;
    };

    const PATHS: Record<string, Path> = {
      'create a queue': {
        action: 'queue.created',
        target: 'queue',
        actor: () => actorOf(admin()),
        setup: async () => fresh('queue'),
        change: (store, requestId, name) =>
          createQueue(base(store), admin(), { name, config: queueConfigSchema.parse({}) }, requestId),
        state: queueState,
        data: { version: 1, config: { levels: [expect.objectContaining({ quorum: 1 })] } },
      },
      'update a queue': {
        action: 'queue.updated',
        target: 'queue',
        actor: () => actorOf(admin()),
        setup: async () => (await w.queue(fresh('queue'), {})).name,
        change: (store, requestId, name) =>
          updateQueue(base(store), admin(), name, queueConfigSchema.parse({ creatorMayApprove: false }), requestId),
        state: queueState,
        data: { version: 2, changes: { creatorMayApprove: { from: true, to: false } } },
      },
      'subscribe a webhook (as a reviewer)': {
        action: 'webhook.created',
        target: 'webhook',
        actor: () => actorOf(reviewer()),
        change: (store, requestId) =>
          createSubscription(
            delivery(store),
            reviewer(),
            { url: 'https://hooks.example.com/zap/secret-path?token=abc', events: ['task.created'] },
            requestId,
          ),
        state: async () => (await w.store.read.webhooks.list(w.workspaceId)).length,
        data: { url: 'https://hooks.example.com', events: ['task.created'] },
      },
      'delete a webhook': {
        action: 'webhook.deleted',
        target: 'webhook',
        actor: () => actorOf(admin()),
        setup: subscription,
        change: (store, requestId, id) => deleteSubscription(delivery(store), admin(), id, requestId),
        state: webhookState,
        data: { url: 'https://hooks.example.com', events: ['task.decided'] },
      },
      "rotate a webhook's secret": {
        action: 'webhook.secret_rotated',
        target: 'webhook',
        actor: () => actorOf(admin()),
        setup: subscription,
        change: (store, requestId, id) => rotateSubscriptionSecret(delivery(store), admin(), id, requestId),
        state: webhookState,
        data: { url: 'https://hooks.example.com', previousSecretExpiresAt: expect.any(String) },
      },
      'change the delivery settings': {
        action: 'delivery_settings.updated',
        target: 'delivery_settings',
        actor: () => actorOf(admin()),
        setup: async () => `${fresh('n8n')}.internal`,
        change: (store, requestId, host) =>
          updateDeliverySettings(base(store), admin(), { callbackAllowlist: [host] }, requestId),
        state: settingsState,
        data: { callbackAllowlist: { from: expect.any(Array), to: [expect.stringMatching(/^n8n-\d+\.internal$/)] } },
      },
      'rotate the callback secret': {
        action: 'delivery_settings.callback_secret_rotated',
        target: 'delivery_settings',
        actor: () => actorOf(admin()),
        change: (store, requestId) => rotateCallbackSecret(base(store), admin(), requestId),
        state: settingsState,
        data: { previousSecretExpiresAt: expect.any(String) },
      },
      'add a Slack integration': {
        action: 'slack_integration.created',
        target: 'slack_integration',
        actor: () => actorOf(admin()),
        change: (store, requestId) =>
          createSlackIntegration(
            slack(store),
            admin(),
            { webhookUrl: `https://hooks.slack.com/services/${SLACK_URL_TOKEN}`, signingSecret: SIGNING_SECRET },
            requestId,
          ),
        state: async () => (await w.store.read.slack.listIntegrations(w.workspaceId)).length,
        data: { webhookUrl: 'https://hooks.slack.com', queue: null },
      },
      'remove a Slack integration': {
        action: 'slack_integration.deleted',
        target: 'slack_integration',
        actor: () => actorOf(admin()),
        setup: integration,
        change: (store, requestId, id) => deleteSlackIntegration(slack(store), admin(), id, requestId),
        state: (id) => w.store.read.slack.findIntegration(id),
        data: { webhookUrl: 'https://hooks.slack.com' },
      },
      'link a Slack user to a member': {
        action: 'slack_integration.user_linked',
        target: 'slack_integration',
        actor: () => actorOf(admin()),
        setup: integration,
        change: (store, requestId, id) =>
          linkSlackUser(slack(store), admin(), id, { slackUserId: 'U0OPS', email: 'ops@example.com' }, requestId),
        state: (id) => w.store.read.slack.findUserLink(id, 'U0OPS'),
        data: { slackUserId: 'U0OPS', email: 'ops@example.com', role: 'reviewer' },
      },
      "set the workspace's time zone (operator)": {
        action: 'workspace.time_zone_changed',
        target: 'workspace',
        actor: () => operator,
        operator: true,
        setup: async () =>
          (await w.store.read.workspaces.findTimeZone(w.workspaceId)) === 'Europe/Berlin'
            ? 'Asia/Kolkata'
            : 'Europe/Berlin',
        change: (store, _requestId, zone) => setWorkspaceTimeZone(base(store), w.workspaceId, zone),
        state: () => w.store.read.workspaces.findTimeZone(w.workspaceId),
        data: { to: expect.stringMatching(/^(Europe\/Berlin|Asia\/Kolkata)$/) },
      },
      'add a member (operator)': {
        action: 'member.added',
        target: 'user',
        actor: () => operator,
        operator: true,
        setup: async () => `${fresh('new')}@example.com`,
        change: (store, _requestId, email) => upsertUser(base(store), { email, password: PASSWORD, role: 'viewer' }),
        state: membership,
        data: { role: 'viewer' },
      },
      "change a member's role (operator)": {
        action: 'member.role_changed',
        target: 'user',
        actor: () => operator,
        operator: true,
        setup: async () => {
          const email = `${fresh('old')}@example.com`;
          await upsertUser(base(w.store), { email, password: PASSWORD, role: 'reviewer' });
          return email;
        },
        change: (store, _requestId, email) => upsertUser(base(store), { email, password: PASSWORD, role: 'admin' }),
        state: membership,
        data: { from: 'reviewer', to: 'admin' },
      },
      "change a member's role (admin)": {
        action: 'member.role_changed',
        target: 'user',
        actor: () => actorOf(admin()),
        setup: member,
        change: (store, requestId, userId) => setMemberRole(base(store), admin(), userId, 'viewer', requestId),
        state: memberState,
        data: { from: 'reviewer', to: 'viewer' },
      },
      'deactivate a member': {
        action: 'member.deactivated',
        target: 'user',
        actor: () => actorOf(admin()),
        setup: member,
        change: (store, requestId, userId) => deactivateMember(base(store), admin(), userId, requestId),
        state: memberState,
      },
      'reactivate a member': {
        action: 'member.reactivated',
        target: 'user',
        actor: () => actorOf(admin()),
        setup: async () => {
          const userId = await member();
          await deactivateMember(base(w.store), admin(), userId);
          return userId;
        },
        change: (store, requestId, userId) => reactivateMember(base(store), admin(), userId, requestId),
        state: memberState,
      },
      'remove a member': {
        action: 'member.removed',
        target: 'user',
        actor: () => actorOf(admin()),
        setup: member,
        change: (store, requestId, userId) => removeMember(base(store), admin(), userId, requestId),
        state: memberState,
      },
      'rename a member': {
        action: 'member.renamed',
        target: 'user',
        actor: () => actorOf(admin()),
        setup: member,
        change: (store, requestId, userId) => renameMember(base(store), admin(), userId, 'Renamed', requestId),
        state: (userId) => w.store.read.users.findById(userId),
      },
      'invite a member': {
        action: 'invitation.sent',
        target: 'invitation',
        actor: () => actorOf(admin()),
        setup: async () => `${fresh('invitee')}@example.com`,
        change: (store, requestId, email) => inviteMember(mail(store), admin(), { email, role: 'viewer' }, requestId),
        state: openInvitations,
        data: { role: 'viewer' },
      },
      'withdraw an invitation': {
        action: 'invitation.withdrawn',
        target: 'invitation',
        actor: () => actorOf(admin()),
        setup: async () => {
          const email = `${fresh('invitee')}@example.com`;
          await inviteMember(mail(w.store), admin(), { email, role: 'viewer' });
          return email;
        },
        change: (store, requestId, email) => withdrawInvitation(base(store), admin(), email, requestId),
        state: openInvitations,
      },
      'issue an API key': {
        action: 'api_key.created',
        target: 'api_key',
        actor: () => actorOf(admin()),
        change: (store, requestId) =>
          issueApiKey(base(store), admin(), { name: fresh('bot'), role: 'reviewer' }, requestId),
        state: async () => (await w.store.read.apiKeys.listActive(w.workspaceId)).length,
        data: { role: 'reviewer' },
      },
      'revoke an API key': {
        action: 'api_key.revoked',
        target: 'api_key',
        actor: () => actorOf(admin()),
        setup: async () => (await w.newKey(fresh('doomed'))).actor.id ?? '',
        change: (store, requestId, id) => revokeApiKey(base(store), admin(), id, requestId),
        state: (id) => w.store.read.apiKeys.findById(w.workspaceId, id),
      },
      'create a reviewer group': {
        action: 'reviewer_group.created',
        target: 'reviewer_group',
        actor: () => actorOf(admin()),
        setup: async () => fresh('group'),
        change: (store, requestId, name) => createReviewerGroup(base(store), admin(), { name, members: [] }, requestId),
        state: groupState,
      },
      "change a reviewer group's members": {
        action: 'reviewer_group.members_changed',
        target: 'reviewer_group',
        actor: () => actorOf(admin()),
        setup: async () => (await w.group(fresh('group'), [])).name,
        change: (store, requestId, name) =>
          setReviewerGroupMembers(base(store), admin(), name, ['ops@example.com'], requestId),
        state: groupState,
      },
      'rename a reviewer group': {
        action: 'reviewer_group.renamed',
        target: 'reviewer_group',
        actor: () => actorOf(admin()),
        setup: async () => (await w.group(fresh('group'), [])).name,
        change: (store, requestId, name) => renameReviewerGroup(base(store), admin(), name, `${name}-new`, requestId),
        state: groupState,
      },
      'configure the board': {
        action: 'board.configured',
        target: 'board',
        actor: () => actorOf(admin()),
        change: (store, requestId) =>
          saveBoardConfig(base(store), admin(), { columns: DEFAULT_BOARD_COLUMNS.map((c) => ({ ...c })) }, requestId),
        state: () => w.store.read.boardConfigs.find(w.workspaceId),
      },
      'halt a source': {
        action: 'halt.created',
        target: 'halt',
        actor: () => actorOf(admin()),
        setup: async () => fresh('source'),
        change: (store, requestId, value) => haltTarget(base(store), admin(), { scope: 'source', value }, requestId),
        state: async () => (await w.store.read.halts.list(w.workspaceId, 200)).length,
      },
      'resume a halt': {
        action: 'halt.resumed',
        target: 'halt',
        actor: () => actorOf(admin()),
        setup: async () =>
          (await haltTarget(base(w.store), admin(), { scope: 'source', value: fresh('source') }, null)).halt.id,
        change: (store, requestId, id) => resumeHalt(base(store), admin(), id, requestId),
        state: async () => (await w.store.read.halts.list(w.workspaceId, 200)).map((h) => h.resumedAt),
      },
    };

    describe.each(Object.entries(PATHS))('%s', (_name, path) => {
      test('writes exactly one entry: action, target, actor, role and request id', async () => {
        const prepared = (await path.setup?.()) ?? '';
        const before = await log();
        const requestId = fresh('req');
        await path.change(w.store, requestId, prepared);
        const added = (await log()).slice(before.length);
        expect(added).toHaveLength(1);
        expect(added[0]).toMatchObject({
          action: path.action,
          target: { type: path.target, id: expect.any(String) },
          actor: path.actor(),
          requestId: path.operator ? null : requestId,
          ...(path.data ? { data: path.data } : {}),
        });
      });

      test('a change that fails inside its transaction writes no entry and changes nothing', async () => {
        const prepared = (await path.setup?.()) ?? '';
        const before = await log();
        const state = await path.state(prepared);
        const failed = await refusal(path.change(failingAfterEntry(w.store), fresh('req'), prepared));
        expect(failed.message).toBe('refused after the entry was written');
        expect(await log()).toEqual(before);
        expect(await path.state(prepared)).toEqual(state);
      });
    });

    interface Refused {
      setup?: () => Promise<string>;
      change: (prepared: string) => Promise<unknown>;
    }
    const emptyConfig = queueConfigSchema.parse({});
    const REFUSED: Record<string, Refused> = {
      'a queue naming an unknown group': {
        change: () =>
          updateQueue(base(w.store), admin(), 'default', queueConfigSchema.parse({ reviewerGroups: ['nope'] }), 'r'),
      },
      'a queue name taken': {
        setup: async () => (await w.queue(fresh('queue'), {})).name,
        change: (name) => createQueue(base(w.store), admin(), { name, config: emptyConfig }, 'r'),
      },
      'a queue that does not exist': {
        change: () => updateQueue(base(w.store), admin(), 'nope', emptyConfig, 'r'),
      },
      'a reviewer configuring a queue': {
        change: () => createQueue(base(w.store), reviewer(), { name: fresh('queue'), config: emptyConfig }, 'r'),
      },
      'a cloud metadata address allowed': {
        change: () => updateDeliverySettings(base(w.store), admin(), { callbackAllowlist: ['169.254.169.254'] }, 'r'),
      },
      'an unknown webhook deleted': {
        change: () => deleteSubscription(delivery(w.store), admin(), 'whk_missing', 'r'),
      },
      'an unknown Slack integration removed': {
        change: () => deleteSlackIntegration(slack(w.store), admin(), 'sli_missing', 'r'),
      },
      'a Slack user linked to a stranger': {
        setup: integration,
        change: (id) => linkSlackUser(slack(w.store), admin(), id, { slackUserId: 'U0X', email: 'nobody@example.com' }),
      },
      'a time zone that is none': {
        change: () => setWorkspaceTimeZone(base(w.store), w.workspaceId, 'Mars/Olympus'),
      },
    };

    test.each(Object.entries(REFUSED))('refused before writing (%s): no entry', async (_name, refused) => {
      const prepared = (await refused.setup?.()) ?? '';
      const before = await log();
      const answer = await refusal(refused.change(prepared));
      expect(['validation_failed', 'conflict', 'not_found', 'forbidden']).toContain(answer.code);
      expect(await log()).toEqual(before);
    });

    test('settings that do not change write nothing', async () => {
      const zone = await setWorkspaceTimeZone(base(w.store), w.workspaceId, 'UTC');
      const current = await ensureSettings(base(w.store), w.workspaceId);
      const email = `${fresh('same')}@example.com`;
      await upsertUser(base(w.store), { email, password: PASSWORD, role: 'viewer' });
      const before = await log();
      expect(await setWorkspaceTimeZone(base(w.store), w.workspaceId, zone)).toBe(zone);
      await updateDeliverySettings(base(w.store), admin(), { allowPrivateCallbacks: current.allowPrivateCallbacks });
      await upsertUser(base(w.store), { email, password: PASSWORD, role: 'viewer' });
      expect(await log()).toEqual(before);
    });

    test('no secret reaches the ledger: webhook and callback secrets, Slack signing secret, hook URL paths', async () => {
      const hook = await subscription();
      const rotated = await rotateSubscriptionSecret(delivery(w.store), admin(), hook, 'r');
      const callback = await rotateCallbackSecret(base(w.store), admin(), 'r');
      await integration();
      const text = JSON.stringify(await log());
      for (const secret of [rotated.secret, rotated.previousSecret, callback.callbackSecret, SIGNING_SECRET]) {
        expect(secret && text.includes(secret)).toBeFalsy();
      }
      expect(text).not.toContain(SLACK_URL_TOKEN);
      expect(text).not.toContain('secret-path');
    });

    test('a task names the queue config version that routed it; the chain verifies and exports whole', async () => {
      const name = fresh('versioned');
      expect((await w.queue(name, {})).version).toBe(1);
      const first = await w.create({ queue: name });
      expect((await w.updateQueue(name, { policy: { rules: [], otherwise: 'auto_approve' } })).version).toBe(2);
      const second = await w.create({ queue: name });
      const routing = async (taskId: string) =>
        (await log()).filter((e) => e.target.id === taskId).map((e) => [e.action, (e.data as { event: object }).event]);
      expect(await routing(first.id)).toEqual([
        ['task.created', expect.objectContaining({ outcome: 'review', queueVersion: 1 })],
      ]);
      expect(await routing(second.id)).toEqual([
        ['task.created', expect.objectContaining({ outcome: 'auto_approve', queueVersion: 2 })],
        ['task.decided', expect.objectContaining({ action: 'approve', queueVersion: 2 })],
      ]);

      const verified = await verifyAuditLog({ store: w.store }, w.workspaceId);
      const entries = await log();
      expect(verified).toMatchObject({ ok: true, checked: entries.length });
      const exported = [];
      for await (const entry of exportAuditLog({ store: w.store }, w.workspaceId, {})) exported.push(entry);
      expect(exported.map((e) => [e.seq, e.action, e.hash])).toEqual(entries.map((e) => [e.seq, e.action, e.hash]));
    });
  });
}
