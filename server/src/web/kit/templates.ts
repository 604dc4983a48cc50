import { template } from './render.js';
import type {
  AccountView,
  AdminApiKeyRevokeView,
  AdminApiKeysView,
  AdminUsersView,
  AnalyticsView,
  BoardColumnsView,
  BoardView,
  BulkResultView,
  InviteView,
  LoginView,
  MessageView,
  QueueEditView,
  QueueSettingsView,
  ReviewMailHtmlView,
  ReviewView,
  SettingsBoardView,
  SettingsGrantsView,
  SettingsGroupsView,
  SettingsHaltsView,
  SettingsReviewersView,
  TaskView,
} from './view-models.js';

/**
 * Every template a page renders, with its view model: `render(TEMPLATES.board, data)` and
 * `kit.send(res, TEMPLATES.board, data)` type-check `data`. Partials (layout, task-summary,
 * approval-panel, queue-config-reference) are only ever included by these.
 */
export const TEMPLATES = {
  login: template<LoginView>('login'),
  message: template<MessageView>('message'),
  invite: template<InviteView>('invite'),
  board: template<BoardView>('board'),
  boardColumns: template<BoardColumnsView>('board-columns'),
  bulkResult: template<BulkResultView>('bulk-result'),
  task: template<TaskView>('task'),
  review: template<ReviewView>('review'),
  adminUsers: template<AdminUsersView>('admin-users'),
  adminApiKeys: template<AdminApiKeysView>('admin-api-keys'),
  adminApiKeyRevoke: template<AdminApiKeyRevokeView>('admin-api-key-revoke'),
  account: template<AccountView>('account'),
  analytics: template<AnalyticsView>('analytics'),
  queueSettings: template<QueueSettingsView>('queue-settings'),
  settingsGroups: template<SettingsGroupsView>('settings-groups'),
  settingsBoard: template<SettingsBoardView>('settings-board'),
  settingsHalts: template<SettingsHaltsView>('settings-halts'),
  settingsGrants: template<SettingsGrantsView>('settings-grants'),
  settingsReviewers: template<SettingsReviewersView>('settings-reviewers'),
  queueEdit: template<QueueEditView>('queue-edit'),
  /** The HTML part of review mail (web/kit/mail.ts). */
  reviewMail: template<ReviewMailHtmlView>('mail/review'),
} as const;
