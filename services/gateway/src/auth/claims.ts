import type { JWTPayload } from 'jose';
import type { GatewayRole } from '@baton/contracts';
import type { Principal } from './principal';

/** How token claims become roles and groups (from configuration). */
export interface ClaimMapping {
  readonly rolesClaim: string;
  readonly groupsClaim: string;
  readonly roleMap: Readonly<Record<string, readonly GatewayRole[]>>;
}

function strings(value: unknown): string[] {
  if (typeof value === 'string') return value.split(/[\s,]+/).filter((s) => s !== '');
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}

/** A claim by dotted path (`realm_access.roles` in Keycloak tokens). */
function claimAt(payload: JWTPayload, dotted: string): unknown {
  let at: unknown = payload;
  for (const key of dotted.split('.')) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

/**
 * The principal of a verified token: `sub` is its id; roles are the values of the roles claim
 * mapped through the role map (values the map does not name give no role); groups are the values
 * of the groups claim, plus the roles claim's raw values so a workflow may name either.
 */
export function principalOfClaims(payload: JWTPayload, mapping: ClaimMapping): Principal | undefined {
  if (typeof payload.sub !== 'string' || payload.sub === '' || payload.sub.length > 200) return undefined;
  const rawRoles = strings(claimAt(payload, mapping.rolesClaim));
  const roles = new Set<GatewayRole>();
  for (const value of rawRoles) for (const role of mapping.roleMap[value] ?? []) roles.add(role);
  const groups = new Set([...strings(claimAt(payload, mapping.groupsClaim)), ...rawRoles]);
  const name = typeof payload['preferred_username'] === 'string' ? payload['preferred_username'] : typeof payload['name'] === 'string' ? payload['name'] : null;
  return { id: payload.sub, kind: 'human', name, roles: [...roles], groups: [...groups] };
}
