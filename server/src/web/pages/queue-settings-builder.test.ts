import request from 'supertest';
import { DATABASES } from '../../test-support/databases.js';
import { bearer, usePageWorld } from '../../test-support/page-world.js';
import {
  escaped,
  formBody,
  formFields,
  problemsOf,
  QUEUE_DESK,
  queueApi,
  REFUNDS,
  section,
} from '../../test-support/queue-pages.js';

for (const database of DATABASES) {
  describe(`${database}: queue settings: the queue builder`, () => {
    const w = usePageWorld(database, QUEUE_DESK);
    const { apiQueue } = queueApi(w);

    async function freshQueue(name: string, config: object = REFUNDS) {
      const res = await request(w.app).post('/api/v1/queues').set(bearer(w.keys.admin)).send({ name, config });
      expect(res.status).toBe(201);
      return res.body;
    }

    async function builder(name: string) {
      const { agent, csrf } = await w.login('admin@example.com');
      const page = await agent.get(`/settings/queues/${name}`);
      expect(page.status).toBe(200);
      return { agent, csrf, page, fields: formFields(page.text, 'queue-builder') };
    }

    test('the builder saves exactly the config the JSON editor would for the same settings', async () => {
      await freshQueue('via-builder');
      await freshQueue('via-json');
      const { agent, csrf, fields } = await builder('via-builder');
      // Untouched, the builder's rows stand for the saved config: saving them changes nothing.
      const untouched = await agent
        .post('/settings/queues/via-builder')
        .type('form')
        .send(formBody(fields, { intent: 'save' }));
      expect(untouched.status).toBe(303);
      expect((await apiQueue('via-builder')).body.config).toEqual((await apiQueue('via-json')).body.config);

      const saved = await agent
        .post('/settings/queues/via-builder')
        .type('form')
        .send(
          formBody(fields, {
            intent: 'save',
            'rule.2.threshold': '0.7',
            'sla.minutes': '120',
            'level.1.quorum': '3',
            'step.0.afterMinutes': '-15',
            creatorMayApprove: 'yes',
          }),
        );
      expect([saved.status, saved.headers.location]).toEqual([303, '/settings/queues?saved=via-builder']);
      const edited = structuredClone((await apiQueue('via-json')).body.config);
      edited.policy.rules[2].threshold = 0.7;
      edited.sla.seconds = 7200;
      edited.levels[1].quorum = 3;
      edited.escalation[0].afterSeconds = -900;
      edited.creatorMayApprove = true;
      const json = await agent
        .post('/settings/queues/via-json')
        .type('form')
        .send({ _csrf: csrf, config: JSON.stringify(edited) });
      expect(json.status).toBe(303);
      const [viaBuilder, viaJson] = [(await apiQueue('via-builder')).body, (await apiQueue('via-json')).body];
      expect(viaBuilder.config).toEqual(viaJson.config);
      expect(viaBuilder.config.sla.seconds).toBe(7200);
    });

    test('sensitive data: detectors are switched on with a level, custom patterns added; an untouched save keeps them', async () => {
      const config = {
        ...REFUNDS,
        classification: {
          detectors: [
            { detector: 'email', raiseTo: 'medium', name: 'Mail' },
            { detector: 'custom', name: 'Staff id', pattern: 'EMP-[0-9]{6}', raiseTo: 'high' },
          ],
        },
      };
      await freshQueue('sensitive', config);
      const before = (await apiQueue('sensitive')).body.config;
      const { agent, fields } = await builder('sensitive');
      expect(fields).toContainEqual(['detect.email', 'medium']);
      expect(fields).toContainEqual(['detect.iban', '']);
      expect(fields).toContainEqual(['custom.0.pattern', 'EMP-[0-9]{6}']);
      const untouched = await agent
        .post('/settings/queues/sensitive')
        .type('form')
        .send(formBody(fields, { intent: 'save' }));
      expect(untouched.status).toBe(303);
      expect((await apiQueue('sensitive')).body.config).toEqual(before);

      const added = await agent
        .post('/settings/queues/sensitive')
        .type('form')
        .send(formBody(fields, { op: 'add-custom' }));
      expect(added.status).toBe(200);
      const rows = formFields(added.text, 'queue-builder');
      expect(rows).toContainEqual(['customCount', '2']);
      // A pattern RE2 refuses is named beside its row; nothing is saved.
      const refused = await agent
        .post('/settings/queues/sensitive')
        .type('form')
        .send(
          formBody(rows, {
            intent: 'save',
            'detect.iban': 'critical',
            'custom.1.name': 'Bad',
            'custom.1.pattern': '(a)\\1',
          }),
        );
      expect(refused.status).toBe(400);
      expect(section(refused.text, 'custom-1')).toContain('RE2');
      expect((await apiQueue('sensitive')).body.config).toEqual(before);

      const saved = await agent
        .post('/settings/queues/sensitive')
        .type('form')
        .send(
          formBody(rows, {
            intent: 'save',
            'detect.iban': 'critical',
            'custom.1.name': 'Ticket',
            'custom.1.pattern': 'T-[0-9]+',
          }),
        );
      expect(saved.status).toBe(303);
      expect((await apiQueue('sensitive')).body.config.classification.detectors).toEqual([
        { detector: 'email', raiseTo: 'medium', name: 'Mail' },
        { detector: 'iban', raiseTo: 'critical' },
        { detector: 'custom', name: 'Staff id', pattern: 'EMP-[0-9]{6}', raiseTo: 'high' },
        { detector: 'custom', name: 'Ticket', pattern: 'T-[0-9]+', raiseTo: 'high' },
      ]);
    });

    test("a level's External reviewers box saves allowGuests: true, and unticked leaves the config as it was", async () => {
      await freshQueue('guest-levels');
      const before = (await apiQueue('guest-levels')).body.config;
      const { agent, fields, page } = await builder('guest-levels');
      expect(page.text).toContain('name="level.0.allowGuests" value="yes" aria-describedby="level-0-guests-help"');
      const saved = await agent
        .post('/settings/queues/guest-levels')
        .type('form')
        .send(formBody(fields, { intent: 'save', 'level.1.allowGuests': 'yes' }));
      expect(saved.status).toBe(303);
      const after = (await apiQueue('guest-levels')).body.config;
      expect(after.levels.map((level: { allowGuests?: boolean }) => level.allowGuests)).toEqual([undefined, true]);
      expect({ ...after, levels: before.levels }).toEqual(before);
      const again = await builder('guest-levels');
      expect(again.page.text).toContain('name="level.1.allowGuests" value="yes" checked');
    });

    test('"Add rule" re-renders with the new row and nothing typed lost; nothing is saved', async () => {
      await freshQueue('adding');
      const before = await apiQueue('adding');
      const { agent, fields } = await builder('adding');
      const typed = 'Half-typed <b>description</b>';
      const res = await agent
        .post('/settings/queues/adding')
        .type('form')
        .send(formBody(fields, { description: typed, 'rule.2.threshold': 'abc', op: 'add-rule', newRuleType: 'flag' }));
      expect(res.status).toBe(200);
      expect(res.text).toContain(`>${escaped(typed)}</textarea>`);
      expect(res.text).toContain('name="rule.2.threshold" value="abc"');
      const after = formFields(res.text, 'queue-builder');
      expect(after).toContainEqual(['ruleCount', '5']);
      expect(after).toContainEqual(['rule.4.type', 'flag']);
      expect(await apiQueue('adding')).toEqual(before);
    });

    test('rules reorder and are removed with buttons, and the order saved is the order shown', async () => {
      await freshQueue('reordering');
      const { agent, fields } = await builder('reordering');
      const moved = await agent
        .post('/settings/queues/reordering')
        .type('form')
        .send(formBody(fields, { op: 'up-rule-2' }));
      expect(moved.status).toBe(200);
      expect(section(moved.text, 'rule-1')).toContain('Confidence below');
      expect(section(moved.text, 'rule-2')).toContain('Risk level');
      const removed = await agent
        .post('/settings/queues/reordering')
        .type('form')
        .send(formBody(formFields(moved.text, 'queue-builder'), { op: 'remove-rule-3' }));
      const saved = await agent
        .post('/settings/queues/reordering')
        .type('form')
        .send(formBody(formFields(removed.text, 'queue-builder'), { intent: 'save' }));
      expect(saved.status).toBe(303);
      const types = (await apiQueue('reordering')).body.config.policy.rules.map((rule: { type: string }) => rule.type);
      expect(types).toEqual(['flag', 'confidence_below', 'risk']);
      // The first rule cannot move up: the button says so by being disabled.
      expect(moved.text).toMatch(/value="up-rule-0" disabled/);
    });

    test('field rules: an untouched save keeps them exactly; a field row typed in the builder saves a typed rule', async () => {
      const payouts = {
        levels: [{ name: 'finance' }, { name: 'cfo' }],
        policy: {
          rules: [
            { type: 'field', in: 'context', path: '/customer~1id', op: 'in', value: ['c-1', 'c-2'], levels: 1 },
            {
              type: 'any',
              rules: [
                { type: 'field', path: '/amount', op: 'gt', value: 10000 },
                { type: 'not', rule: { type: 'field', path: '/approved', op: 'exists' } },
              ],
              levels: 2,
            },
          ],
        },
      };
      await freshQueue('payout-rules', payouts);
      const before = (await apiQueue('payout-rules')).body.config;
      const { agent, fields } = await builder('payout-rules');
      expect(fields).toContainEqual(['rule.0.path', '/customer~1id']);
      expect(fields).toContainEqual(['rule.0.source', 'context']);
      expect(fields).toContainEqual(['rule.0.value', '["c-1","c-2"]']);
      const untouched = await agent
        .post('/settings/queues/payout-rules')
        .type('form')
        .send(formBody(fields, { intent: 'save' }));
      expect(untouched.status).toBe(303);
      expect((await apiQueue('payout-rules')).body.config).toEqual(before);

      const added = await agent
        .post('/settings/queues/payout-rules')
        .type('form')
        .send(formBody(fields, { op: 'add-rule', newRuleType: 'field' }));
      const typed = await agent
        .post('/settings/queues/payout-rules')
        .type('form')
        .send(
          formBody(formFields(added.text, 'queue-builder'), {
            intent: 'save',
            'rule.2.path': '/amount',
            'rule.2.op': 'lte',
            'rule.2.value': '100',
            'rule.2.outcome': 'auto_approve',
          }),
        );
      expect(typed.status).toBe(303);
      expect((await apiQueue('payout-rules')).body.config.policy.rules[2]).toEqual({
        type: 'field',
        path: '/amount',
        op: 'lte',
        value: 100,
        outcome: 'auto_approve',
      });
    });

    test('a field row the schema refuses shows why beside it and keeps the text; bad JSON in a combined rule too', async () => {
      await freshQueue('payout-refusals', { policy: { rules: [{ type: 'field', path: '/a', op: 'exists' }] } });
      const before = await apiQueue('payout-refusals');
      const { agent, fields } = await builder('payout-refusals');
      const added = await agent
        .post('/settings/queues/payout-refusals')
        .type('form')
        .send(formBody(fields, { op: 'add-rule', newRuleType: 'conditions' }));
      const res = await agent
        .post('/settings/queues/payout-refusals')
        .type('form')
        .send(
          formBody(formFields(added.text, 'queue-builder'), {
            intent: 'save',
            'rule.0.op': 'gt',
            'rule.0.value': '[1,2]',
            'rule.1.json': '{"type": "all", "rules": [',
          }),
        );
      expect(res.status).toBe(400);
      expect(section(res.text, 'rule-0')).toContain('gt compares with a number or a string');
      expect(res.text).toContain('name="rule.0.value" value="[1,2]"');
      expect(res.text).toContain('{&quot;type&quot;: &quot;all&quot;, &quot;rules&quot;: [</textarea>');
      expect(section(res.text, 'rule-1')).toContain('rule: not valid JSON');
      expect(await apiQueue('payout-refusals')).toEqual(before);
    });

    test('a refused save shows each problem beside its field, keeps what was typed, saves nothing', async () => {
      await freshQueue('refusing');
      const before = await apiQueue('refusing');
      const { agent, fields } = await builder('refusing');
      const res = await agent
        .post('/settings/queues/refusing')
        .type('form')
        .send(formBody(fields, { intent: 'save', 'rule.2.threshold': '2', 'step.1.group': '', 'level.0.quorum': '0' }));
      expect(res.status).toBe(400);
      expect(problemsOf(res.text)).toContain('<code>policy.rules[2].threshold</code>');
      expect(section(res.text, 'rule-2')).toMatch(/Threshold \(0–1\) .*Too big/);
      expect(section(res.text, 'step-1')).toContain('reassign needs a group');
      expect(section(res.text, 'level-0')).toMatch(/Quorum .*Too small/);
      expect(res.text).toContain('name="rule.2.threshold" value="2"');
      expect(await apiQueue('refusing')).toEqual(before);
    });

    test('Preview runs the proposed config over recent tasks with its warnings; only Save saves', async () => {
      await freshQueue('previewing', {});
      for (const confidence of [0.95, 0.95, 0.3]) {
        const task = await request(w.app)
          .post('/api/v1/tasks')
          .set(bearer(w.keys.reviewer))
          .send({ title: 'Refund', payload: { amount: 5 }, queue: 'previewing', confidence });
        expect(task.status).toBe(201);
      }
      const before = await apiQueue('previewing');
      const { agent, csrf } = await w.login('admin@example.com');
      const proposed = {
        policy: {
          rules: [{ type: 'confidence_below', threshold: 0.8 }, { type: 'auto_approve' }, { type: 'flag', name: 'x' }],
        },
      };
      const res = await agent
        .post('/settings/queues/previewing')
        .type('form')
        .send({ _csrf: csrf, config: JSON.stringify(proposed), intent: 'preview' });
      expect(res.status).toBe(200);
      expect(section(res.text, 'config-preview')).toContain(
        'Of the last 3 tasks, this config would send 1 to humans and auto-approve 2; none of those 2 was rejected by a human.',
      );
      expect(section(res.text, 'config-warnings')).toContain('policy.rules[2] : Never reached');
      // The builder shows the proposed rules, and the JSON editor stays open with the text as typed.
      expect(formFields(res.text, 'queue-builder')).toContainEqual(['rule.2.type', 'flag']);
      expect(res.text).toMatch(/<details class="advanced" id="json-editor" open>/);
      expect(await apiQueue('previewing')).toEqual(before);
    });

    test('"Test against the last 30 days" backtests the form as it stands, keeps what was typed, saves nothing', async () => {
      await freshQueue('backtesting', { policy: { rules: [{ type: 'confidence_below', threshold: 0.8 }] } });
      const ids: string[] = [];
      for (const confidence of [0.95, 0.9, 0.3]) {
        const task = await request(w.app)
          .post('/api/v1/tasks')
          .set(bearer(w.keys.reviewer))
          .send({ title: 'Refund', payload: { amount: 5 }, queue: 'backtesting', confidence });
        expect(task.status).toBe(201);
        ids.push(task.body.id);
      }
      const rejected = await request(w.app)
        .post(`/api/v1/tasks/${ids[0]}/decision`)
        .set(bearer(w.keys.admin))
        .send({ action: 'reject', comment: 'Duplicate' });
      expect(rejected.status).toBe(200);
      const before = await apiQueue('backtesting');
      const { agent, fields } = await builder('backtesting');
      const typed = 'Auto-approve the <confident> ones';
      const res = await agent
        .post('/settings/queues/backtesting')
        .type('form')
        .send(formBody(fields, { intent: 'backtest', otherwise: 'auto_approve', description: typed }));
      expect(res.status).toBe(200);
      const shown = section(res.text, 'config-backtest');
      expect(shown).toContain(
        'Of 3 tasks: 1 to people, 2 auto-approved. Of the 1 that people decided, 1 would now be auto-approved — including 1 rejection.',
      );
      expect(shown).toContain('The saved config, on the same tasks: 3 to people, 0 auto-approved.');
      // The by-rule table: rule, what it does, tasks, rejected and modified by people.
      expect(shown).toContain('rules[0]:confidence_below to people 1 0 0 otherwise auto-approves 2 1 0');
      // Nothing typed is lost (and it is escaped), and nothing is saved.
      const again = formFields(res.text, 'queue-builder');
      expect(again).toContainEqual(['otherwise', 'auto_approve']);
      expect(again).toContainEqual(['description', typed]);
      expect(res.text).toContain(escaped(typed));
      expect(await apiQueue('backtesting')).toEqual(before);
    });

    test("the edit page shows the saved config's warnings beside the rule", async () => {
      await freshQueue('warned', { policy: { rules: [{ type: 'auto_approve' }, { type: 'sample', rate: 0.1 }] } });
      const { page } = await builder('warned');
      expect(section(page.text, 'config-warnings')).toContain('policy.rules[1] : Never reached');
      expect(section(page.text, 'rule-1')).toContain('Warning: Never reached');
    });

    test('standing approvals: forbid them or cap their hours; back to the defaults leaves no grants key', async () => {
      await freshQueue('granting');
      const { agent, fields } = await builder('granting');
      expect(fields).toContainEqual(['grantsAllowed', 'yes']);
      expect(fields).toContainEqual(['grantsMaxHours', '24']);
      const off = fields.filter(([name]) => name !== 'grantsAllowed');
      const saved = await agent
        .post('/settings/queues/granting')
        .type('form')
        .send(formBody(off, { intent: 'save', grantsMaxHours: '4' }));
      expect(saved.status).toBe(303);
      expect((await apiQueue('granting')).body.config.grants).toEqual({ allowed: false, maxHours: 4 });
      const again = await builder('granting');
      expect(again.fields).not.toContainEqual(['grantsAllowed', 'yes']);
      expect(again.fields).toContainEqual(['grantsMaxHours', '4']);
      const back = await again.agent
        .post('/settings/queues/granting')
        .type('form')
        .send(formBody(again.fields, { intent: 'save', grantsAllowed: 'yes', grantsMaxHours: '24' }));
      expect(back.status).toBe(303);
      expect((await apiQueue('granting')).body.config).not.toHaveProperty('grants');
    });
  });
}
