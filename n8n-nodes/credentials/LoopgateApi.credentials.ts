import type {
  IAuthenticateGeneric,
  ICredentialTestRequest,
  ICredentialType,
  Icon,
  INodeProperties,
} from 'n8n-workflow';

export class LoopgateApi implements ICredentialType {
  name = 'loopgateApi';

  displayName = 'Loopgate API';

  icon: Icon = { light: 'file:loopgate.svg', dark: 'file:loopgate.dark.svg' };

  documentationUrl = 'https://github.com/loopgate/loopgate/blob/main/docs/n8n.md';

  properties: INodeProperties[] = [
    {
      displayName: 'Base URL',
      name: 'baseUrl',
      type: 'string',
      default: '',
      placeholder: 'https://loopgate.example.com',
      description: 'Where your Loopgate server answers, without /api/v1',
      required: true,
    },
    {
      displayName: 'API Key',
      name: 'apiKey',
      type: 'string',
      typeOptions: { password: true },
      default: '',
      description: 'A Loopgate API key (lg_…), e.g. from "loopgate api-key create --role reviewer"',
      required: true,
    },
  ];

  authenticate: IAuthenticateGeneric = {
    type: 'generic',
    properties: {
      headers: {
        Authorization: '=Bearer {{$credentials.apiKey}}',
      },
    },
  };

  // "Who am I" answers any valid key of any role, and changes nothing.
  test: ICredentialTestRequest = {
    request: {
      baseURL: '={{$credentials.baseUrl.replace(/\\/+$/, "")}}',
      url: '/api/v1/me',
    },
  };
}
