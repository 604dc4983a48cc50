import type { Task } from '@loopgate/shared';
import type { Bundle, Create, ZObject } from 'zapier-platform-core';
import { callApi } from '../api.js';
import { SAMPLE_TASK } from '../samples.js';
import { taskBodyFromInput, taskInputFields } from '../task-input.js';

/** Creates the task and moves on: the decision arrives later through "Task Decided" or "Find Task". */
async function perform(z: ZObject, bundle: Bundle): Promise<Task> {
  return callApi<Task>(z, bundle, 'POST', '/api/v1/tasks', { body: taskBodyFromInput(z, bundle) });
}

export const createTask: Create = {
  key: 'create_task',
  noun: 'Task',
  display: {
    label: 'Create Task',
    description: 'Creates a review task in Loopgate without waiting for the decision.',
  },
  operation: {
    inputFields: taskInputFields,
    perform,
    sample: { ...SAMPLE_TASK },
  },
};
