import type { Caller } from '@loopgate/shared';
import type { Authentication, Bundle, ZObject } from 'zapier-platform-core';
import { baseUrl, callApi } from './api.js';

/** What the auth test returns; Zapier hands it to connectionLabel as bundle.inputData. */
interface ConnectionInfo {
  workspaceId: string;
  workspaceSlug: string;
  workspaceName: string;
  role: Caller['role'];
  keyName: string | null;
}

async function test(z: ZObject, bundle: Bundle): Promise<ConnectionInfo> {
  if (!/^https?:\/\/[^/]+/i.test(baseUrl(bundle))) {
    throw new z.errors.Error('The Loopgate URL must start with http:// or https://', 'validation_failed', 400);
  }
  const caller = await callApi<Caller>(z, bundle, 'GET', '/api/v1/me');
  return {
    workspaceId: caller.workspace.id,
    workspaceSlug: caller.workspace.slug,
    workspaceName: caller.workspace.name,
    role: caller.role,
    keyName: caller.actor.name,
  };
}

/** "Acme (acme) · reviewer key zapier": tells connections to several workspaces apart. */
async function connectionLabel(_z: ZObject, bundle: Bundle): Promise<string> {
  const info = bundle.inputData as Partial<ConnectionInfo>;
  const workspace =
    info.workspaceName && info.workspaceName !== info.workspaceSlug
      ? `${info.workspaceName} (${info.workspaceSlug})`
      : (info.workspaceSlug ?? 'Loopgate');
  return `${workspace} · ${info.role ?? 'unknown'} key${info.keyName ? ` ${info.keyName}` : ''}`;
}

export const authentication: Authentication = {
  type: 'custom',
  fields: [
    {
      key: 'baseUrl',
      label: 'Loopgate URL',
      required: true,
      type: 'string',
      helpText: 'Where your Loopgate server answers, e.g. `https://loopgate.example.com`.',
    },
    {
      key: 'apiKey',
      label: 'API Key',
      required: true,
      type: 'password',
      helpText:
        'A Loopgate API key (`lg_…`) with the **reviewer** role: it may create tasks and subscribe to decisions. Create one with `loopgate api-key create --role reviewer --name zapier`.',
    },
  ],
  test,
  connectionLabel,
};
