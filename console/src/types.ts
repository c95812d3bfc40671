/** Shapes of the API used by the pages, taken from the generated types of the client. */
import type { paths } from '@roster/client';

type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;

export type UserUpdate = Json<paths['/api/v1/users/{user_id}']['patch']['requestBody']>;
export type ApiKey = Json<paths['/api/v1/users/{user_id}/api_keys']['get']['responses'][200]>[number];
export type Organization = Json<paths['/api/v1/organizations']['get']['responses'][200]>[number];
export type Member = Json<paths['/api/v1/organizations/{organization_id}/members']['get']['responses'][200]>[number];
export type Invitation = Json<
  paths['/api/v1/organizations/{organization_id}/invitations']['get']['responses'][200]
>[number];
export type Workspace = Json<
  paths['/api/v1/organizations/{organization_id}/workspaces']['get']['responses'][200]
>[number];
export type Webhook = Json<paths['/api/v1/webhooks']['get']['responses'][200]>[number];
export type Delivery = Json<paths['/api/v1/webhooks/{webhook_id}/deliveries']['get']['responses'][200]>[number];
export type DeletionPlan = Json<paths['/api/v1/users/{user_id}']['delete']['responses'][200]>;
