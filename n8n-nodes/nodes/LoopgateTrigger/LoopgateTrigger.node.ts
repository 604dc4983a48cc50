import { verifyWebhook } from '@loopgate/shared/webhooks';
import {
  type IDataObject,
  type IHookFunctions,
  type INodeType,
  type INodeTypeDescription,
  type IWebhookFunctions,
  type IWebhookResponseData,
  NodeConnectionTypes,
} from 'n8n-workflow';
import { loopgateRequest } from '../../lib/api.js';
import { type TriggerStaticData, triggerItem } from '../../lib/trigger.js';

/**
 * Starts a workflow on Loopgate task events through a REST-hook subscription: activating the workflow
 * subscribes its webhook URL (POST /api/v1/webhooks), deactivating it unsubscribes. Every delivery is
 * checked against the subscription's Standard Webhooks secret, which Loopgate shows only once, at
 * creation, so it is kept in the workflow's static data.
 */
export class LoopgateTrigger implements INodeType {
  description: INodeTypeDescription = {
    displayName: 'Loopgate Trigger',
    name: 'loopgateTrigger',
    icon: { light: 'file:loopgate.svg', dark: 'file:loopgate.dark.svg' },
    group: ['trigger'],
    version: 1,
    subtitle: '={{ $parameter["events"].join(", ") }}',
    description:
      'Starts the workflow when a Loopgate task is created, escalated, decided or expires, or an agent drifts',
    defaults: { name: 'Loopgate Trigger' },
    inputs: [],
    outputs: [NodeConnectionTypes.Main],
    credentials: [{ name: 'loopgateApi', required: true }],
    webhooks: [{ name: 'default', httpMethod: 'POST', responseMode: 'onReceived', path: 'webhook' }],
    properties: [
      {
        displayName: 'Events',
        name: 'events',
        type: 'multiOptions',
        required: true,
        options: [
          {
            name: 'Agent Drift Cleared',
            value: 'agent.drift_cleared',
            description: "An agent's rates are back to normal",
          },
          {
            name: 'Agent Drift Detected',
            value: 'agent.drift_detected',
            description: "The drift test found an agent's intervention, modification or rejection rate changed",
          },
          { name: 'Task Cancelled', value: 'task.cancelled' },
          { name: 'Task Created', value: 'task.created' },
          { name: 'Task Decided', value: 'task.decided', description: 'Approved, approved with changes or rejected' },
          { name: 'Task Escalated', value: 'task.escalated' },
          { name: 'Task Expired', value: 'task.expired' },
        ],
        default: ['task.decided'],
      },
    ],
  };

  webhookMethods = {
    default: {
      async checkExists(this: IHookFunctions): Promise<boolean> {
        const data = this.getWorkflowStaticData('node') as TriggerStaticData;
        if (!data.subscriptionId) return false;
        try {
          const sub = await loopgateRequest<{ url: string; status: string }>(this, {
            method: 'GET',
            path: `/api/v1/webhooks/${encodeURIComponent(data.subscriptionId)}`,
          });
          if (sub.url === this.getNodeWebhookUrl('default') && sub.status === 'active') return true;
        } catch (error) {
          // Already a NodeApiError with the server's code (loopgateRequest); only not_found is expected.
          // eslint-disable-next-line @n8n/community-nodes/require-node-api-error
          if ((error as { context?: IDataObject }).context?.code !== 'not_found') throw error;
        }
        // Gone, disabled or pointing elsewhere: forget it so create() subscribes afresh.
        delete data.subscriptionId;
        delete data.secret;
        return false;
      },

      async create(this: IHookFunctions): Promise<boolean> {
        const events = this.getNodeParameter('events') as string[];
        const sub = await loopgateRequest<{ id: string; secret: string }>(this, {
          method: 'POST',
          path: '/api/v1/webhooks',
          body: {
            url: this.getNodeWebhookUrl('default') as string,
            events,
            description: `n8n workflow ${this.getWorkflow().id ?? ''}`.trim(),
          },
        });
        const data = this.getWorkflowStaticData('node') as TriggerStaticData;
        data.subscriptionId = sub.id;
        data.secret = sub.secret;
        return true;
      },

      async delete(this: IHookFunctions): Promise<boolean> {
        const data = this.getWorkflowStaticData('node') as TriggerStaticData;
        if (data.subscriptionId) {
          try {
            await loopgateRequest(this, {
              method: 'DELETE',
              path: `/api/v1/webhooks/${encodeURIComponent(data.subscriptionId)}`,
            });
          } catch (error) {
            if ((error as { context?: IDataObject }).context?.code !== 'not_found') return false;
          }
        }
        delete data.subscriptionId;
        delete data.secret;
        return true;
      },
    },
  };

  async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
    const data = this.getWorkflowStaticData('node') as TriggerStaticData;
    const req = this.getRequestObject() as { rawBody?: Buffer };
    const res = this.getResponseObject();
    // The signature covers the exact bytes sent; re-serialising the parsed body would change them.
    const raw = req.rawBody !== undefined ? req.rawBody.toString('utf8') : JSON.stringify(this.getBodyData());
    let verified = false;
    if (data.secret) {
      try {
        await verifyWebhook(data.secret, this.getHeaderData() as Record<string, string | string[] | undefined>, raw);
        verified = true;
      } catch {
        // answered below
      }
    }
    if (!verified) {
      res.status(401).json({ code: 'webhook_signature_invalid', message: 'Signature missing or invalid' });
      return { noWebhookResponse: true };
    }
    const events = this.getNodeParameter('events') as string[];
    const item = triggerItem(this.getBodyData(), events);
    if (item === null) return { webhookResponse: { received: true, ignored: true } };
    return { workflowData: [[{ json: item }]] };
  }
}
