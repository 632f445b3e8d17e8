/** A mounted route as Hono lists it in `app.routes`. */
export interface RouteInfo {
  method: string;
  path: string;
}

/** Hono path pattern → RegExp: `:name{re}` keeps its regex, `:name` is one segment, `*` anything. */
function patternToRegExp(path: string): RegExp {
  let re = "";
  for (let i = 0; i < path.length; ) {
    const ch = path[i]!;
    if (ch === ":") {
      const m = /^:[A-Za-z0-9_]+(\{((?:[^{}]|\{[^{}]*\})*)\})?(\?)?/.exec(path.slice(i));
      if (!m) {
        re += "\\:";
        i++;
        continue;
      }
      re += m[2] ? `(?:${m[2]})` : "[^/]+";
      if (m[3]) re += "?";
      i += m[0].length;
    } else if (ch === "*") {
      re += ".*";
      i++;
    } else {
      re += ch.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
      i++;
    }
  }
  return new RegExp(`^${re}/?$`);
}

/**
 * Which methods are served on a path, to answer 405 with `Allow` instead of 404 (RFC 9110 §15.5.6).
 * Middleware entries (method ALL) are not routes and are ignored.
 */
export function methodMatcher(routes: RouteInfo[]): (path: string) => string[] {
  const compiled = routes
    .filter((r) => r.method !== "ALL")
    .map((r) => ({ method: r.method, re: patternToRegExp(r.path) }));
  return (path) => [...new Set(compiled.filter((r) => r.re.test(path)).map((r) => r.method))];
}
