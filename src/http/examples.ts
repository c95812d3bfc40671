/**
 * An example of every request body and response schema of the OpenAPI
 * document, by schema title (`finishDocument` puts each on its schema).
 * `test/openapi.test.ts` validates every one against its schema, so an
 * example that drifts from its schema fails the tests.
 */

const ALICE = '01935d5c-8f2e-7c3a-9b1d-2f4e6a8c0b11';
const ACME = '01935d5c-9a40-7e12-8c55-6d7e8f901a22';
const ROBOT = '01935d5c-a1b2-7c3d-9e4f-5a6b7c8d9e33';
const WORKSPACE = '01935d5c-b3c4-7d5e-8f60-718293a4b544';
const KEY = '01935d5c-c5d6-7e7f-9081-92a3b4c5d655';
const INVITATION = '01935d5c-d7e8-7f90-a1b2-c3d4e5f60766';
const EVENT = '01935d5c-e9fa-7b0c-8d1e-2f3a4b5c6d77';
const WEBHOOK = '01935d5c-fb0c-7d1e-9f20-3a4b5c6d7e88';
const DELIVERY = '01935d5d-0d1e-7f20-8132-4b5c6d7e8f99';
const CREATED = '2026-11-27T14:22:43.123Z';
const UPDATED = '2026-11-28T09:05:12.456Z';

const userRead = {
  id: ALICE,
  name: 'Alice Example',
  avatar_url: null,
  company: 'Acme',
  job_title: 'Engineer',
  metadata: { team: 'blue' },
  username: 'alice',
  email: 'alice@example.com',
  email_verified: true,
  oauth_provider: null,
  oauth_id: null,
  is_active: true,
  is_superuser: false,
  is_service_account: false,
  organization_id: null,
  is_onboarded: true,
  created: CREATED,
  updated: UPDATED,
};

const webhookRead = {
  id: WEBHOOK,
  url: 'https://hooks.example.com/roster',
  event_types: ['user.*', 'organization.member_added'],
  description: 'Directory sync',
  enabled: true,
  created: CREATED,
  updated: UPDATED,
};

export const EXAMPLES: Record<string, unknown> = {
  DomainError: { detail: ['KeyError', `user ${ALICE} not found`] },
  ValidationError: {
    detail: [
      {
        type: 'string_pattern_mismatch',
        loc: ['body', 'username'],
        msg: "String should match pattern '^[a-zA-Z0-9_\\-@.]+$'",
        input: 'bad name!',
      },
    ],
  },
  UserRead: userRead,
  UserCreate: {
    username: 'alice',
    password: 'a-long-password',
    email: 'alice@example.com',
    name: 'Alice Example',
    metadata: { team: 'blue' },
  },
  UserUpdate: { job_title: 'Staff engineer', metadata: { team: 'green' } },
  ServiceAccountCreate: { username: 'ci-robot', name: 'CI robot' },
  DeletionPlan: {
    user_id: ALICE,
    allowed: true,
    blockers: [],
    organization_memberships: [{ organization_id: ACME, organization_name: 'acme', role: 'editor' }],
    workspace_memberships: [],
    api_keys: [],
    active_sessions: 2,
  },
  LoginRequest: { username: 'alice', password: 'a-long-password' },
  AccessToken: { access_token: 'rst_6mB0J1dGzvXkQp2t8Yc4aWnL', token_type: 'bearer', expires_in: 3600 },
  DeviceAuthorizationRequest: { client_id: 'zenml-cli' },
  OrganizationCreate: { name: 'acme', description: 'The Acme company' },
  OrganizationUpdate: { description: 'The Acme company, worldwide' },
  OrganizationRead: { id: ACME, name: 'acme', description: 'The Acme company', created: CREATED, updated: UPDATED },
  MemberRead: { user: userRead, role: 'editor' },
  MembershipUpdate: { role: 'admin' },
  WorkspaceCreate: { name: 'production', description: 'Live models' },
  WorkspaceUpdate: { description: 'Live models only' },
  WorkspaceRead: {
    id: WORKSPACE,
    name: 'production',
    description: 'Live models',
    organization_id: ACME,
    created: CREATED,
    updated: UPDATED,
  },
  ApiKeyCreate: { name: 'deploy', expires_in: 2592000 },
  ApiKeyRead: { id: KEY, name: 'deploy', created: CREATED, expires: '2026-12-27T14:22:43.123Z', last_used: null },
  ApiKeyCreated: {
    id: KEY,
    name: 'deploy',
    created: CREATED,
    expires: '2026-12-27T14:22:43.123Z',
    last_used: null,
    key: 'rsk_Q2hhbmdlIG1lOiBzaG93biBvbmNlIG9ubHk',
  },
  InvitationCreate: { email: 'bob@example.com', role: 'viewer' },
  InvitationRead: {
    id: INVITATION,
    organization_id: ACME,
    organization_name: 'acme',
    role: 'viewer',
    email: 'bob@example.com',
    user_id: null,
    invited_by: ALICE,
    status: 'pending',
    created: CREATED,
    expires: '2026-12-04T14:22:43.123Z',
  },
  EventRead: {
    id: EVENT,
    type: 'user.updated',
    occurred: UPDATED,
    actor: { id: ALICE, username: 'alice', kind: 'user' },
    target: { type: 'user', id: ROBOT },
    organization_id: ACME,
    changes: { job_title: ['Engineer', 'Staff engineer'] },
    request: { id: 'req-7f3a', ip: '203.0.113.7', user_agent: 'curl/8.5.0' },
  },
  WebhookCreate: { url: 'https://hooks.example.com/roster', event_types: ['user.*'], description: 'Directory sync' },
  WebhookUpdate: { enabled: false },
  WebhookRead: webhookRead,
  WebhookCreated: { ...webhookRead, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw2aWrHkRtm5E=' },
  DeliveryRead: {
    id: DELIVERY,
    event_id: EVENT,
    status: 'succeeded',
    response_code: 204,
    attempts: 1,
    next_attempt: UPDATED,
    last_error: null,
    first_attempt: UPDATED,
    in_flight: false,
    created: UPDATED,
    updated: UPDATED,
  },
};
