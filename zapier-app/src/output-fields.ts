import type { PlainOutputField } from 'zapier-platform-core';

/** Labels for the fields later Zap steps map from a decision or task event. */
export const taskEventOutputFields: PlainOutputField[] = [
  { key: 'decision', label: 'Decision (approved, approved_with_modifications, rejected, expired, cancelled)' },
  { key: 'approved', label: 'Approved?', type: 'boolean' },
  { key: 'taskId', label: 'Task ID' },
  { key: 'title', label: 'Title' },
  { key: 'queue', label: 'Queue' },
  { key: 'action', label: 'Reviewer Action' },
  { key: 'comment', label: 'Reviewer Comment' },
  { key: 'reasonCode', label: 'Rejection Reason Code' },
  { key: 'response', label: "Reviewer's Answers (Response Fields)" },
  { key: 'reviewer', label: 'Reviewer' },
  { key: 'wasModified', label: 'Payload Was Modified?', type: 'boolean' },
  { key: 'diff', label: 'Reviewer Changes (unified diff)' },
  { key: 'externalRef', label: 'External Reference' },
  { key: 'createdAt', label: 'Created At', type: 'datetime' },
  { key: 'decidedAt', label: 'Decided At', type: 'datetime' },
  { key: 'reason', label: 'Reason' },
];
