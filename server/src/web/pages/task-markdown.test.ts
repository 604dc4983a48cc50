import { DATABASES } from '../../test-support/databases.js';
import { SUPPORT_DESK, taskHelpers, usePageWorld } from '../../test-support/page-world.js';

/* The task page shows a description as Markdown and context URLs as links (kit/markdown.ts). */
for (const database of DATABASES) {
  describe(`${database}: task page Markdown and context links`, () => {
    const w = usePageWorld(database, SUPPORT_DESK);
    const { createTask } = taskHelpers(w);

    test('the description is rendered Markdown; context URLs are links that open safely', async () => {
      const task = await createTask({
        description:
          'The tank is **cracked**.\n\n- photos attached\n\n[Refund rules](https://help.example.com/refunds) <i>not html</i>',
        context: { ticket: 'https://support.example.com/tickets/48213', run: 'javascript:alert(1)' },
      });
      const { agent } = await w.login('rev@example.com');
      const page = (await agent.get(`/tasks/${task.id}`)).text;
      const description = /<div class="markdown" id="description">([\s\S]*?)<\/div>/.exec(page)?.[1] ?? '';
      expect(description).toContain('<strong>cracked</strong>');
      expect(description).toContain('<li>photos attached</li>');
      expect(description).toContain(
        '<a href="https://help.example.com/refunds" target="_blank" rel="noopener noreferrer">Refund rules</a>',
      );
      expect(description).toContain('&lt;i&gt;not html&lt;/i&gt;');
      const context = /<pre class="payload" id="context">([\s\S]*?)<\/pre>/.exec(page)?.[1] ?? '';
      expect(context).toContain(
        '<a href="https://support.example.com/tickets/48213" target="_blank" rel="noopener noreferrer">https://support.example.com/tickets/48213</a>',
      );
      expect(context).toContain('&quot;javascript:alert(1)&quot;');
      expect(context.match(/<a /g)).toHaveLength(1);
    });
  });
}
