import { DATABASES } from '../../test-support/databases.js';
import { type PageWorldSetup, taskHelpers, usePageWorld } from '../../test-support/page-world.js';

/** Two levels with two groups, card fields, separation of duties: what the per-card actions are about. */
const TWO_LEVEL_DESK: PageWorldSetup = {
  users: [
    ['admin@example.com', 'admin'],
    ['ops@example.com', 'reviewer'],
    ['comp@example.com', 'reviewer'],
    ['view@example.com', 'viewer'],
  ],
  groups: [
    ['ops', ['ops@example.com']],
    ['compliance', ['comp@example.com']],
  ],
  queues: [
    [
      'refunds',
      {
        levels: [
          { name: 'operations', group: 'ops' },
          { name: 'compliance', group: 'compliance' },
        ],
        cardFields: ['/amount', '/customer/name', '/order'],
      },
    ],
  ],
};

for (const database of DATABASES) {
  describe(`${database}: board cards`, () => {
    const w = usePageWorld(database, TWO_LEVEL_DESK);
    const { createTask } = taskHelpers(w);

    const cardOf = async (email: string, title: string) => {
      const { agent } = await w.login(email);
      const html = (await agent.get(`/board?fragment=1&q=${encodeURIComponent(title)}`)).text;
      return /<li class="card[\s\S]*?<\/li>/.exec(html)?.[0] ?? '';
    };

    test("a card shows its queue's card fields, escaped and cut, objects as compact JSON", async () => {
      await createTask({
        title: 'Fields card',
        queue: 'refunds',
        payload: { amount: 120.5, customer: { name: `<script>alert(1)</script>${'x'.repeat(80)}` }, order: { id: 7 } },
      });
      const card = await cardOf('ops@example.com', 'Fields card');
      expect(card).toContain('<dt>amount:</dt> <dd>120.5</dd>');
      expect(card).toContain(
        `<dt>customer.name:</dt> <dd>&lt;script&gt;alert(1)&lt;/script&gt;${'x'.repeat(34)}…</dd>`,
      );
      expect(card).toContain('<dt>order:</dt> <dd>{&quot;id&quot;:7}</dd>');
      expect(card).not.toContain('<script>');
      // A payload without a field shows the others only.
      await createTask({ title: 'Sparse card', queue: 'refunds', payload: { amount: 3 } });
      const sparse = await cardOf('ops@example.com', 'Sparse card');
      expect(sparse).toContain('<dt>amount:</dt> <dd>3</dd>');
      expect(sparse).not.toContain('customer.name');
    });

    test("level 2: outside its group, no Claim but the reason; its member can claim; the voter can't again", async () => {
      const task = await createTask({ title: 'Two level card', queue: 'refunds', payload: { amount: 9 } });
      // Level 1 is for ops: compliance sees why not.
      const early = await cardOf('comp@example.com', 'Two level card');
      expect(early).not.toContain('data-control="claim"');
      expect(early).toContain('disabled data-blocked="claim"');
      expect(early).toContain('Level 1 (operations) is decided by the &quot;ops&quot; group');
      expect(await cardOf('ops@example.com', 'Two level card')).toContain('data-control="claim"');

      const ops = await w.login('ops@example.com');
      const voted = await ops.agent
        .post(`/tasks/${task.id}/decide`)
        .type('form')
        .send({ _csrf: ops.csrf, action: 'approve', confirm: '1' });
      expect(voted.status).toBe(303);

      const forOps = await cardOf('ops@example.com', 'Two level card');
      expect(forOps).toContain('level 2 of 2');
      expect(forOps).not.toContain('data-control="claim"');
      expect(forOps).not.toContain('data-control="decide"');
      expect(forOps).toContain('Level 2 (compliance) is decided by the &quot;compliance&quot; group');
      // Not a draggable claim either: only Escalate remains a move.
      expect(forOps).toContain('data-moves="escalated"');
      // The server agrees with the card.
      const refused = await ops.agent
        .post(`/tasks/${task.id}/claim`)
        .set('Accept', 'application/json')
        .set('X-CSRF-Token', ops.csrf);
      expect([refused.status, refused.body.code]).toEqual([403, 'forbidden']);

      const forCompliance = await cardOf('comp@example.com', 'Two level card');
      expect(forCompliance).toContain('data-control="claim"');
      expect(forCompliance).toContain('data-control="decide"');
      expect(forCompliance).not.toContain('class="why"');

      const viewer = await cardOf('view@example.com', 'Two level card');
      expect(viewer).not.toContain('draggable');
      expect(viewer).toContain('Viewers can&#39;t claim tasks');
    });
  });
}
