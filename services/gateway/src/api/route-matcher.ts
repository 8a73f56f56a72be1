import { pathParamsOf, type GatewayRoute } from '@baton/contracts';

/** A route found for a request, with its path parameters (URL-decoded). */
export interface MatchedRoute {
  readonly route: GatewayRoute;
  readonly params: Readonly<Record<string, string>>;
}

interface Compiled {
  readonly route: GatewayRoute;
  readonly pattern: RegExp;
  readonly names: readonly string[];
  /** Literal segments first: `/api/workflows/execute` wins over `/api/workflows/{id}`. */
  readonly literals: number;
}

/** Finds the route of a method and path among the API's routes. */
export class RouteMatcher {
  private readonly compiled: Compiled[];

  constructor(routes: readonly GatewayRoute[]) {
    this.compiled = routes
      .map((route) => {
        const names = pathParamsOf(route.path);
        const source = route.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[A-Za-z][A-Za-z0-9]*\\?\}/g, '([^/]+)');
        return { route, names, pattern: new RegExp(`^${source}/?$`), literals: route.path.split('/').filter((s) => s !== '' && !s.startsWith('{')).length };
      })
      .sort((a, b) => b.literals - a.literals);
  }

  /** The route, or `{ allowed }` (the methods the path has) when only the method is wrong, or undefined. */
  match(method: string, path: string): MatchedRoute | { readonly allowed: readonly string[] } | undefined {
    const allowed: string[] = [];
    for (const c of this.compiled) {
      const m = c.pattern.exec(path);
      if (m === null) continue;
      if (c.route.method !== method) {
        allowed.push(c.route.method);
        continue;
      }
      const params: Record<string, string> = {};
      try {
        c.names.forEach((name, i) => (params[name] = decodeURIComponent(m[i + 1]!)));
      } catch {
        continue;
      }
      return { route: c.route, params };
    }
    return allowed.length > 0 ? { allowed } : undefined;
  }
}
