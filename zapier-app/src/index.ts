import { type App, type Create, version as platformVersion, type Search, type Trigger } from 'zapier-platform-core';
import { addApiKey, throwForProblem } from './api.js';
import { authentication } from './authentication.js';
import { createTask } from './creates/create-task.js';
import { requestApproval } from './creates/request-approval.js';
import { findTask } from './searches/find-task.js';
import { queueList } from './triggers/queue-list.js';
import { taskDecided, taskEscalated, taskExpired } from './triggers/task-event.js';

// The app's own version goes into every deployment; Zapier requires it to match package.json.
const { version } = require('../package.json') as { version: string };

/** The Loopgate Zapier app: the module Zapier loads (package main: dist/index.js). */
const app: App<Record<string, Trigger>, Record<string, Create>, Record<string, Search>> = {
  version,
  platformVersion,
  authentication,
  beforeRequest: [addApiKey],
  afterResponse: [throwForProblem],
  triggers: {
    [taskDecided.key]: taskDecided,
    [taskEscalated.key]: taskEscalated,
    [taskExpired.key]: taskExpired,
    [queueList.key]: queueList,
  },
  creates: {
    [requestApproval.key]: requestApproval,
    [createTask.key]: createTask,
  },
  searches: {
    [findTask.key]: findTask,
  },
};

export = app;
