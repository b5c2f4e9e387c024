import type { IncomingMessage, ServerResponse } from "node:http";
import type { MembershipChange } from "../rebalance/plan.js";
import type { Asset } from "./assets.js";
import type { SseChannel } from "./sse.js";

/** What the HTTP layer needs from the rest of the dashboard. */
export interface DashboardRoutes {
  readonly assets: ReadonlyMap<string, Asset>;
  readonly events: SseChannel;
  /** The current state and circle, for `GET /api/state`. */
  snapshot(): unknown;
  /** Starts add-node / remove-node; resolves once it is under way. */
  change(change: MembershipChange): Promise<{ run: string }>;
  /** `host:port` values a request's Host may carry; undefined accepts any (bound to all interfaces). */
  readonly allowedHosts: ReadonlySet<string> | undefined;
}

/** A refused request, with the HTTP status and a stable code. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const BODY_LIMIT = 4096;
const NODE_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * The dashboard's routes: the page and its files, `/events` (server-sent events), `/api/state`,
 * and `POST /api/add-node` / `/api/remove-node`. The page is served to localhost, where any web
 * site the operator visits could send requests too, so every request must name an allowed Host
 * (no DNS rebinding) and a POST must be JSON from this origin (no cross-site form posts).
 */
export function dashboardHandler(routes: DashboardRoutes) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    handle(routes, req, res).catch((err: Error & { code?: string }) => {
      const status = err instanceof HttpError ? err.status : statusOf(err.code);
      const code = err instanceof HttpError ? err.code : (err.code ?? "INTERNAL");
      if (!res.headersSent) json(res, status, { error: { code, message: err.message } });
      else res.end();
    });
  };
}

async function handle(routes: DashboardRoutes, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const host = req.headers.host ?? "";
  if (routes.allowedHosts && !routes.allowedHosts.has(host))
    throw new HttpError(403, "FORBIDDEN_HOST", `Host ${JSON.stringify(host)} is not this dashboard`);
  const path = new URL(req.url ?? "/", "http://dashboard").pathname;
  if (req.method === "GET" || req.method === "HEAD") {
    if (path === "/events") return routes.events.subscribe(req, res);
    if (path === "/api/state") return json(res, 200, routes.snapshot());
    const asset = routes.assets.get(path === "/" ? "index.html" : path.replace(/^\/assets\//, ""));
    if (!asset || (path !== "/" && !path.startsWith("/assets/")))
      throw new HttpError(404, "NOT_FOUND", `no such page: ${path}`);
    res.writeHead(200, { "content-type": asset.type, "cache-control": "no-cache" });
    res.end(req.method === "HEAD" ? undefined : asset.body);
    return;
  }
  if (req.method !== "POST") throw new HttpError(405, "METHOD_NOT_ALLOWED", `${req.method} is not supported`);
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${host}`)
    throw new HttpError(403, "FORBIDDEN_ORIGIN", `requests from ${origin} are not accepted`);
  if (!/^application\/json\b/.test(req.headers["content-type"] ?? ""))
    throw new HttpError(415, "UNSUPPORTED_MEDIA_TYPE", "send JSON (content-type: application/json)");
  const body = await readJson(req);
  if (path === "/api/add-node") {
    const id = optionalId(body.id);
    const weight = body.weight === undefined ? undefined : Number(body.weight);
    if (weight !== undefined && !(weight > 0 && Number.isFinite(weight)))
      throw new HttpError(400, "BAD_REQUEST", "weight must be a positive number");
    const started = await routes.change({
      kind: "add",
      ...(id ? { id } : {}),
      ...(weight ? { weight } : {}),
    });
    return json(res, 202, started);
  }
  if (path === "/api/remove-node") {
    const id = optionalId(body.id);
    if (!id) throw new HttpError(400, "BAD_REQUEST", 'which node? send {"id": "node-…"}');
    return json(res, 202, await routes.change({ kind: "remove", id }));
  }
  throw new HttpError(404, "NOT_FOUND", `no such action: ${path}`);
}

function optionalId(raw: unknown): string | undefined {
  if (raw === undefined || raw === "") return undefined;
  if (typeof raw !== "string" || !NODE_ID.test(raw))
    throw new HttpError(400, "BAD_REQUEST", "id must be 1-64 letters, digits, '.', '_' or '-'");
  return raw;
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = "";
  for await (const chunk of req) {
    text += chunk;
    if (text.length > BODY_LIMIT) throw new HttpError(413, "TOO_LARGE", "request body too large");
  }
  try {
    const parsed: unknown = JSON.parse(text || "{}");
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new HttpError(400, "BAD_REQUEST", "the body must be a JSON object");
}

/** A refused change is the caller's to fix (409); an unreachable Consul is 503; the rest 500. */
function statusOf(code: string | undefined): number {
  if (code === "LOCK_HELD") return 409;
  if (code === "CONSUL_UNAVAILABLE") return 503;
  if (
    code === "UNKNOWN_NODE" ||
    code === "LAST_NODE" ||
    code === "DUPLICATE_NODE" ||
    code === "REBALANCE_IN_PROGRESS" ||
    code === "NO_CLUSTER"
  )
    return 409;
  return 500;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
}
