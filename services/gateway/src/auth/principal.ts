import type { Actor, GatewayRole, RouteAccess } from '@baton/contracts';
import { ROLES_FOR_ACCESS } from '@baton/contracts';

/**
 * Who is calling, as the credentials say: a person (an OIDC/JWT bearer token) or a service
 * account (an API key). Nothing in a request body can change it.
 */
export interface Principal {
  /** `sub` of the token, or the API key's account id. Recorded as the actor of every command. */
  readonly id: string;
  readonly kind: 'human' | 'service';
  readonly name: string | null;
  readonly roles: readonly GatewayRole[];
  /** Groups from the token (or the key's entry): names a workflow's `trigger.authorized` or `requires_approval` may list. */
  readonly groups: readonly string[];
}

/** The actor a principal's commands carry. */
export function actorOf(principal: Principal): Actor {
  return { kind: principal.kind, id: principal.id };
}

/** Whether the principal holds a role that the access class accepts. */
export function mayAccess(principal: Principal, access: RouteAccess): boolean {
  return ROLES_FOR_ACCESS[access].some((role) => principal.roles.includes(role));
}

/**
 * Whether a principal is one of `names` (a workflow's `trigger.authorized`, a stage's
 * `requires_approval`): `Human` stands for any person; any other name matches the principal's id,
 * name or one of its groups (case-insensitive, as workflow authors write role names freely).
 */
export function isNamedIn(principal: Principal, names: readonly string[]): boolean {
  const mine = new Set([principal.id, principal.name ?? '', ...principal.groups].filter((n) => n !== '').map((n) => n.toLowerCase()));
  return names.some((n) => (n.toLowerCase() === 'human' ? principal.kind === 'human' : mine.has(n.toLowerCase())));
}
