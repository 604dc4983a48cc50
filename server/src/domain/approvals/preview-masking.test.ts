import { queueConfigSchema } from '@loopgate/shared';
import { taskRecord } from '../../test-support/task-records.js';
import { reviewMail } from '../reviewers/review-mail.js';
import { slackMessageFor } from '../slack/slack-message.js';
import { routeTask } from './route-task.js';

/** Review mail and Slack leave the app: what the queue's detectors found is masked there. */
const queue = queueConfigSchema.parse({
  classification: {
    detectors: [
      { detector: 'iban', raiseTo: 'high' },
      { detector: 'card', raiseTo: 'critical' },
    ],
  },
});
const payload = { account: 'DE89 3704 0044 0532 0130 00', card: '4111 1111 1111 1111', amount: 20, memo: 'rent' };
const links = { approve: 'https://x/a', reject: 'https://x/r', modify: 'https://x/m' };

function classifiedTask(extra: Parameters<typeof taskRecord>[3] = {}) {
  const base = taskRecord('wks_1', 'tsk_1', 0, { payload, riskLevel: 'low', ...extra });
  const { classification, riskLevel } = routeTask(queue, base);
  return { ...base, classification, riskLevel };
}

describe('previews outside the app', () => {
  it('review mail masks detected values and keeps the rest', () => {
    const mail = reviewMail(classifiedTask(), 'r@example.com', links, 0);
    expect(mail.text).toContain('"account": "•••• (IBAN)"');
    expect(mail.text).toContain('"card": "•••• (Card number)"');
    expect(mail.text).toContain('"memo": "rent"');
    expect(mail.text).not.toMatch(/3704|4111/);
  });

  it('review mail shows field names only when the scan was truncated', () => {
    const task = classifiedTask();
    const mail = reviewMail(
      { ...task, classification: { ...task.classification!, truncated: true } },
      'r@example.com',
      links,
      0,
    );
    expect(mail.text).toContain('Payload fields: account, card, amount, memo');
    expect(mail.text).not.toMatch(/3704|4111/);
  });

  it('Slack messages mask detected values; a truncated scan shows field names only', () => {
    const task = classifiedTask();
    const text = JSON.stringify(slackMessageFor(task, 'int_1', 'https://loopgate.example'));
    expect(text).toContain('•••• (IBAN)');
    expect(text).not.toMatch(/3704|4111/);
    const truncated = JSON.stringify(
      slackMessageFor({ ...task, classification: { ...task.classification!, truncated: true } }, 'int_1', 'https://x'),
    );
    expect(truncated).toContain('Payload fields: account, card, amount, memo');
    expect(truncated).not.toMatch(/3704|4111/);
  });

  it('without a classification, previews are as before', () => {
    const mail = reviewMail(taskRecord('wks_1', 'tsk_2', 0, { payload }), 'r@example.com', links, 0);
    expect(mail.text).toContain('3704');
  });
});
