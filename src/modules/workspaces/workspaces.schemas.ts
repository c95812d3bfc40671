import { Type, type Static } from 'typebox';
import { Nullable, Timestamp, Uuid } from '../../http/schemas.js';

const Name = Type.String({
  minLength: 1,
  maxLength: 255,
  description: 'Unique within its organization (case-insensitively).',
});
const Description = Type.String({ maxLength: 4096 });

export const WorkspaceRead = Type.Object(
  {
    id: Uuid,
    name: Type.String(),
    description: Nullable(Type.String()),
    organization_id: Uuid,
    created: Timestamp,
    updated: Timestamp,
  },
  { title: 'WorkspaceRead' },
);

export const WorkspaceCreate = Type.Object(
  { name: Name, description: Type.Optional(Nullable(Description)) },
  { additionalProperties: false, title: 'WorkspaceCreate' },
);
export type WorkspaceCreate = Static<typeof WorkspaceCreate>;

export const WorkspaceUpdate = Type.Object(
  { name: Type.Optional(Name), description: Type.Optional(Nullable(Description)) },
  { additionalProperties: false, title: 'WorkspaceUpdate' },
);
export type WorkspaceUpdate = Static<typeof WorkspaceUpdate>;

export const WorkspaceIdParams = Type.Object({ workspace_id: Type.String({ format: 'uuid' }) });
export const WorkspaceMemberParams = Type.Object({
  workspace_id: Type.String({ format: 'uuid' }),
  user_id: Type.String({ format: 'uuid' }),
});
