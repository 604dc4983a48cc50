import type { DecisionAction, FieldError } from '@loopgate/shared';
import { useApprovalsWorld } from '../../test-support/approvals-world.js';
import { DATABASES } from '../../test-support/databases.js';
import { answerOf } from '../../test-support/outcomes.js';
import { AppError } from '../kernel/errors.js';
import { rejectReasonsForTask } from './queues.js';

/** The field errors a validation_failed refusal names; fails the test on any other outcome. */
async function fieldErrorsOf(work: Promise<unknown>): Promise<FieldError[]> {
  try {
    await work;
  } catch (error) {
    if (error instanceof AppError && error.code === 'validation_failed') return error.fieldErrors ?? [];
    throw error;
  }
  throw new Error('expected validation_failed');
}

for (const database of DATABASES) {
  describe(`${database}: voting`, () => {
    const w = useApprovalsWorld(database);

    describe('approval rules', () => {
      beforeAll(async () => {
        await w.queue('quorum2', { levels: [{ name: 'ops', group: 'ops', quorum: 2 }] });
        await w.queue('majority3', { levels: [{ name: 'ops', group: 'ops', quorum: 3, mode: 'majority' }] });
        await w.queue('two-levels', {
          levels: [
            { name: 'operations', group: 'ops' },
            { name: 'compliance', group: 'compliance' },
          ],
        });
        await w.queue('sod', { creatorMayApprove: false });
      });

      /** A vote and how it is answered: counted ('ok'), or refused with the AppError's status and code. */
      type Vote = [voter: string, action: DecisionAction, status: 'ok' | number, code?: string];
      const scenarios: { name: string; queue: string; votes: Vote[]; final: string; events: string[] }[] = [
        {
          name: 'quorum of 2: two approvals approve; outsiders and second votes are refused',
          queue: 'quorum2',
          votes: [
            ['outsider', 'approve', 403, 'forbidden'],
            ['ops1', 'approve', 'ok'],
            ['ops1', 'approve', 409, 'already_voted'],
            ['ops2', 'approve', 'ok'],
            ['ops3', 'approve', 409, 'task_already_decided'],
          ],
          final: 'approved',
          events: ['created', 'vote', 'decided'],
        },
        {
          name: 'quorum of 2: any rejection rejects',
          queue: 'quorum2',
          votes: [
            ['ops1', 'approve', 'ok'],
            ['ops2', 'reject', 'ok'],
          ],
          final: 'rejected',
          events: ['created', 'vote', 'decided'],
        },
        {
          name: 'majority of 3: approve, reject, approve approves',
          queue: 'majority3',
          votes: [
            ['ops1', 'approve', 'ok'],
            ['ops2', 'reject', 'ok'],
            ['ops3', 'approve', 'ok'],
          ],
          final: 'approved',
          events: ['created', 'vote', 'vote', 'decided'],
        },
        {
          name: 'majority of 3: reject, approve, reject rejects',
          queue: 'majority3',
          votes: [
            ['ops1', 'reject', 'ok'],
            ['ops2', 'approve', 'ok'],
            ['ops3', 'reject', 'ok'],
          ],
          final: 'rejected',
          events: ['created', 'vote', 'vote', 'decided'],
        },
        {
          name: 'sequential levels: operations, then compliance; each level only its group',
          queue: 'two-levels',
          votes: [
            ['comp1', 'approve', 403, 'forbidden'],
            ['ops1', 'approve', 'ok'],
            ['ops2', 'approve', 403, 'forbidden'],
            ['comp1', 'approve', 'ok'],
          ],
          final: 'approved',
          events: ['created', 'level_approved', 'decided'],
        },
        {
          name: 'sequential levels: compliance may reject what operations approved',
          queue: 'two-levels',
          votes: [
            ['ops1', 'approve', 'ok'],
            ['comp1', 'reject', 'ok'],
          ],
          final: 'rejected',
          events: ['created', 'level_approved', 'decided'],
        },
        {
          name: 'separation of duties: the creator may not approve, another reviewer may',
          queue: 'sod',
          votes: [
            ['ops1', 'approve', 403, 'separation_of_duties'],
            ['ops2', 'approve', 'ok'],
          ],
          final: 'approved',
          events: ['created', 'decided'],
        },
      ];

      test.each(scenarios)('$name', async ({ queue: q, votes, final, events: expected }) => {
        const task = await w.create({ queue: q }, w.as('ops1'));
        for (const [voter, action, status, code] of votes) {
          const reason = action === 'reject' ? { comment: `${voter} says no` } : {};
          const answer = await answerOf(w.decide(task.id, w.as(voter), action, reason));
          expect([voter, action, answer.ok ? 'ok' : answer.status, answer.code]).toEqual([voter, action, status, code]);
        }
        const got = await w.get(task.id);
        expect(got.status).toBe(final);
        expect((await w.events(task.id)).map((e) => e.type)).toEqual(expected);
        const accepted = votes.filter(([, , status]) => status === 'ok').length;
        expect(await w.votes(task.id)).toHaveLength(accepted);
      });

      test('level 2 sees level 1’s decision and modification; the final decision keeps the latest modification', async () => {
        const task = await w.create({ queue: 'two-levels', payload: { amount: 50 } });
        const l1 = await w.decide(task.id, w.as('ops1'), 'approve_with_modifications', {
          modifiedPayload: { amount: 40 },
          comment: 'cap at 40',
        });
        expect(l1).toMatchObject({ status: 'in_review', workflow: { level: 2, assignedGroup: 'compliance' } });
        const seen = await w.votes(task.id, w.as('comp1'));
        expect(seen).toEqual([
          expect.objectContaining({
            level: 1,
            levelName: 'operations',
            action: 'approve_with_modifications',
            modifiedPayload: { amount: 40 },
            comment: 'cap at 40',
            actor: expect.objectContaining({ name: 'ops1' }),
          }),
        ]);
        const l2 = await w.decide(task.id, w.as('comp1'), 'approve');
        expect(l2).toMatchObject({
          status: 'approved_with_modifications',
          decision: {
            action: 'approve_with_modifications',
            originalPayload: { amount: 50 },
            modifiedPayload: { amount: 40 },
            // The stored diff runs from the original to the payload the agent receives.
            diff: '--- original\n+++ modified\n@@ -1,3 +1,3 @@\n {\n-  "amount": 50\n+  "amount": 40\n }\n',
          },
        });
      });
    });

    describe('concurrent decisions', () => {
      /** Every answer as "ok <status>" or "<http status> <code>"; anything but an AppError fails the test. */
      const outcomesOf = async (votes: Promise<{ status: string }>[]) =>
        (await Promise.all(votes.map((vote) => answerOf(vote)))).map((a) =>
          a.ok ? `ok ${a.value.status}` : `${a.status} ${a.code}`,
        );

      test('20 reviewers approving a quorum-of-3 task at once: 3 votes count, the rest get 409, no 500', async () => {
        await w.queue('open-panel', { levels: [{ name: 'panel', group: null, quorum: 3 }] });
        const task = await w.create({ queue: 'open-panel' });
        const panel = await Promise.all(Array.from({ length: 20 }, (_, i) => w.newKey(`panel-${i}`)));
        const outcomes = await outcomesOf(panel.map((reviewer) => w.decide(task.id, reviewer, 'approve')));
        expect(outcomes.filter((o) => o.startsWith('ok'))).toEqual(
          expect.arrayContaining(['ok in_review', 'ok in_review', 'ok approved']),
        );
        expect(outcomes.filter((o) => o.startsWith('ok'))).toHaveLength(3);
        expect(outcomes.filter((o) => o === '409 task_already_decided')).toHaveLength(17);
        expect((await w.get(task.id)).status).toBe('approved');
        expect((await w.events(task.id)).map((e) => e.type)).toEqual(['created', 'vote', 'vote', 'decided']);
        expect(await w.votes(task.id)).toHaveLength(3);
      });

      test('100 concurrent decisions on one task: exactly one wins, 99 get task_already_decided, one decided event', async () => {
        const task = await w.create();
        const actions = ['approve', 'reject'] as const;
        const answers = await Promise.all(
          Array.from({ length: 100 }, (_, i) =>
            answerOf(w.decide(task.id, w.as('reviewer'), actions[i % 2], { comment: `vote ${i}` })),
          ),
        );
        const winners = answers.filter((a) => a.ok);
        expect(winners).toHaveLength(1);
        expect(answers.filter((a) => a.status === 409 && a.code === 'task_already_decided')).toHaveLength(99);
        const final = await w.get(task.id);
        expect(final.decision?.comment).toBe(winners[0]?.value?.decision?.comment);
        expect(final.version).toBe(2);
        const decided = (await w.events(task.id)).filter((e) => e.type === 'decided');
        expect(decided).toHaveLength(1);
      });

      // Distinct reviewers each insert a vote row of their own, so InnoDB has no duplicate key to
      // serialise them on: this is where the vote insert and the task's compare-and-set once deadlocked.
      test.each([10, 20, 50])(
        '%i reviewers deciding one task at once: one winner, every other answer 409 task_already_decided, no 500',
        async (count) => {
          const task = await w.create();
          const reviewers = await Promise.all(Array.from({ length: count }, (_, i) => w.newKey(`racer-${count}-${i}`)));
          const actions = ['approve', 'reject', 'approve_with_modifications'] as const;
          const answers = await Promise.all(
            reviewers.map((reviewer, i) =>
              answerOf(
                w.decide(task.id, reviewer, actions[i % 3], {
                  comment: `vote ${i}`,
                  ...(actions[i % 3] === 'approve_with_modifications' ? { modifiedPayload: { amount: i } } : {}),
                }),
              ),
            ),
          );
          const outcomes = answers.map((a) => (a.ok ? 'ok' : `${a.status} ${a.code}`));
          expect(outcomes.filter((o) => o !== 'ok' && o !== '409 task_already_decided')).toEqual([]);
          expect(outcomes.filter((o) => o === 'ok')).toHaveLength(1);
          const winner = answers.find((a) => a.ok);
          const final = await w.get(task.id);
          expect(final.decision?.comment).toBe(winner?.value?.decision?.comment);
          expect(final.version).toBe(2);
          expect((await w.events(task.id)).filter((e) => e.type === 'decided')).toHaveLength(1);
          expect(await w.votes(task.id)).toHaveLength(1);
        },
      );
    });

    describe('responses and reject reasons', () => {
      const reasons = [
        { code: 'fraud', label: 'Looks like fraud' },
        { code: 'duplicate', label: 'Already refunded' },
      ];
      const responseForm = {
        type: 'object',
        properties: {
          reply: { type: 'string', title: 'Note to the customer', minLength: 2, maxLength: 200 },
          goodwill: { type: 'number', minimum: 0, maximum: 50 },
          escalate: { type: 'boolean' },
        },
        required: ['reply'],
      };
      beforeAll(async () => {
        await w.queue('reasons', { rejectReasons: reasons });
        await w.queue('reasons-majority', {
          rejectReasons: reasons,
          levels: [{ name: 'ops', group: 'ops', quorum: 2, mode: 'majority' }],
        });
        await w.queue('answered-twice', {
          levels: [
            { name: 'operations', group: 'ops' },
            { name: 'compliance', group: 'compliance' },
          ],
        });
      });

      test('every reject needs a comment; nothing is stored when it has none', async () => {
        const task = await w.create();
        for (const comment of [undefined, '', '   ']) {
          const errors = await fieldErrorsOf(w.decide(task.id, w.as('reviewer'), 'reject', { comment }));
          expect(errors).toEqual([{ path: 'comment', message: 'A reject needs a reason: say why in the comment' }]);
        }
        expect((await w.get(task.id)).status).toBe('pending_review');
        expect(await w.votes(task.id)).toEqual([]);
        const rejected = await w.decide(task.id, w.as('reviewer'), 'reject', { comment: 'No receipt' });
        expect(rejected.decision).toMatchObject({ action: 'reject', comment: 'No receipt', reasonCode: null });
      });

      test("a queue's rejectReasons: a reject must carry one of their codes, which the decision keeps", async () => {
        const task = await w.create({ queue: 'reasons' });
        expect(await rejectReasonsForTask(w.deps, { workspaceId: w.workspaceId, queue: 'reasons' })).toEqual(reasons);
        expect(await rejectReasonsForTask(w.deps, { workspaceId: w.workspaceId, queue: 'default' })).toEqual([]);
        expect(await fieldErrorsOf(w.decide(task.id, w.as('reviewer'), 'reject', { comment: 'no' }))).toEqual([
          { path: 'reasonCode', message: 'Choose a reason: one of fraud, duplicate' },
        ]);
        const unknown = w.decide(task.id, w.as('reviewer'), 'reject', { comment: 'no', reasonCode: 'bored' });
        expect((await fieldErrorsOf(unknown)).map((e) => e.path)).toEqual(['reasonCode']);
        const both = await fieldErrorsOf(w.decide(task.id, w.as('reviewer'), 'reject', {}));
        expect(both.map((e) => e.path)).toEqual(['comment', 'reasonCode']);
        expect(await w.votes(task.id)).toEqual([]);

        const rejected = await w.decide(task.id, w.as('reviewer'), 'reject', {
          comment: 'Same order twice',
          reasonCode: 'duplicate',
        });
        expect(rejected.status).toBe('rejected');
        expect(rejected.decision).toMatchObject({
          reasonCode: 'duplicate',
          response: null,
          comment: 'Same order twice',
        });
        expect((await w.get(task.id)).decision?.reasonCode).toBe('duplicate');
        expect((await w.votes(task.id))[0]).toMatchObject({ reasonCode: 'duplicate', response: null });
      });

      test('an approval needs no reason code, and an approval may not carry one', async () => {
        const task = await w.create({ queue: 'reasons' });
        await expect(w.decide(task.id, w.as('reviewer'), 'approve', { reasonCode: 'fraud' })).rejects.toThrow(
          /reasonCode is only allowed with reject/,
        );
        const approved = await w.decide(task.id, w.as('reviewer'), 'approve');
        expect(approved.decision).toMatchObject({ action: 'approve', reasonCode: null, response: null });
      });

      test('a responseForm: an approval must answer it validly, and the decision keeps the answers', async () => {
        const task = await w.create({ responseForm });
        expect(task.responseForm).toEqual(responseForm);
        expect((await fieldErrorsOf(w.decide(task.id, w.as('reviewer'), 'approve'))).map((e) => e.path)).toEqual([
          'response.reply',
        ]);
        const bad = w.decide(task.id, w.as('reviewer'), 'approve', {
          response: { reply: 'x', goodwill: 80, escalate: 'yes', extra: 1 },
        });
        expect(await fieldErrorsOf(bad)).toEqual([
          { path: 'response.extra', message: 'Is not a field of this form' },
          { path: 'response.reply', message: 'Must be at least 2 characters' },
          { path: 'response.goodwill', message: 'Must be at most 50' },
          { path: 'response.escalate', message: 'Must be true or false' },
        ]);
        expect(await w.votes(task.id)).toEqual([]);
        const answers = { reply: 'Refund on its way <b>', goodwill: 5, escalate: false };
        const approved = await w.decide(task.id, w.as('reviewer'), 'approve_with_modifications', {
          response: answers,
          modifiedPayload: { amount: 40 },
        });
        expect(approved.decision).toMatchObject({ action: 'approve_with_modifications', response: answers });
        expect((await w.get(task.id)).decision?.response).toEqual(answers);
      });

      test('a reject of a task with a responseForm needs no answers; a task without one takes none', async () => {
        const withForm = await w.create({ responseForm });
        const rejected = await w.decide(withForm.id, w.as('reviewer'), 'reject', { comment: 'no' });
        expect(rejected.decision).toMatchObject({ response: null });
        const plain = await w.create();
        const errors = await fieldErrorsOf(w.decide(plain.id, w.as('reviewer'), 'approve', { response: { a: 1 } }));
        expect(errors).toEqual([
          { path: 'response', message: 'This task has no responseForm, so it takes no response' },
        ]);
      });

      test('across levels the last answers win; under majority the reason is the rejecting vote’s', async () => {
        const leveled = await w.create({ queue: 'answered-twice', responseForm });
        await w.decide(leveled.id, w.as('ops1'), 'approve', { response: { reply: 'first level' } });
        const closed = await w.decide(leveled.id, w.as('comp1'), 'approve', { response: { reply: 'second level' } });
        expect(closed.decision?.response).toEqual({ reply: 'second level' });
        expect((await w.votes(leveled.id)).map((vote) => vote.response)).toEqual([
          { reply: 'first level' },
          { reply: 'second level' },
        ]);

        // A 1–1 tie rejects, closed by the approving vote: the reason comes from the reject before it.
        const tied = await w.create({ queue: 'reasons-majority', responseForm });
        await w.decide(tied.id, w.as('ops1'), 'reject', { comment: 'fraud ring', reasonCode: 'fraud' });
        const final = await w.decide(tied.id, w.as('ops2'), 'approve', { response: { reply: 'ok by me' } });
        expect(final.status).toBe('rejected');
        expect(final.decision).toMatchObject({ action: 'reject', reasonCode: 'fraud', response: null });
      });
    });
  });
}
