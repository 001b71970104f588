/**
 * The inspector's HTTP server (`node:http`, so the same code serves on Bun, Deno and Node):
 * the page and its two assets, which are strings compiled into the program (no file is ever
 * read by a request's path), and the JSON API of api.ts. Bound to 127.0.0.1 only; every
 * request's Host (against DNS rebinding), Origin, method, content type, size and fields are
 * checked before a handler runs, and every mistake is a JSON `{ error: { code, message } }`
 * with a 4xx status.
 *
 * @module
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Database } from "../database.ts";
import { VectLiteError } from "../errors.ts";
import { InspectorApi } from "./api.ts";
import type { Embedder } from "./embed.ts";
import { CLIENT_JS } from "./client.ts";
import { PAGE_CSS, PAGE_HTML } from "./page.ts";
import { fromLibraryError, HttpError, LIMITS } from "./validate.ts";

/** The only address the inspector listens on. */
export const LOOPBACK = "127.0.0.1";
/** Requests handled at once; more wait for none and get 503, so a flood cannot pile up work. */
const MAX_IN_FLIGHT = 16;
/** Characters of a request target. */
const MAX_URL = 8192;

/** A running inspector. */
export interface Inspector {
  /** `http://127.0.0.1:<port>/`. */
  readonly url: string;
  /** The port bound (the one the system chose for port 0). */
  readonly port: number;
  /** Stops accepting requests and ends open connections (the database stays open: its owner closes it). */
  close(): Promise<void>;
}

/** Options of `startInspector`. */
export interface InspectorOptions {
  /** The port (0, the default: a free one). */
  port?: number;
  /** Embeds text queries, making text searches hybrid. */
  embed?: Embedder;
  /** Told about each request that failed on the server's side (500). */
  onError?: (error: unknown) => void;
}

type Handler = (api: InspectorApi, request: { body: unknown; params: URLSearchParams }) => Promise<unknown>;

/** Every route: its method, and either a fixed asset or a JSON handler. */
const ROUTES: Record<string, { method: "GET" | "POST"; asset?: { type: string; body: string }; handler?: Handler; params?: boolean }> = {
  "/": { method: "GET", asset: { type: "text/html; charset=utf-8", body: PAGE_HTML } },
  "/app.css": { method: "GET", asset: { type: "text/css; charset=utf-8", body: PAGE_CSS } },
  "/app.js": { method: "GET", asset: { type: "text/javascript; charset=utf-8", body: CLIENT_JS } },
  "/api/overview": { method: "GET", handler: (api) => api.overview() },
  "/api/record": { method: "GET", handler: (api, r) => api.record(r.params), params: true },
  "/api/list": { method: "POST", handler: (api, r) => api.list(r.body) },
  "/api/search": { method: "POST", handler: (api, r) => api.search(r.body) },
  "/api/map": { method: "POST", handler: (api, r) => api.map(r.body) },
};

/**
 * The page's scripts and styles come only from the server itself, it makes requests only to
 * it, and it may not be framed: a page injected into a record's metadata could do nothing.
 */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Starts serving `db` (which should be opened `readOnly`) on 127.0.0.1. */
export async function startInspector(db: Database, options: InspectorOptions = {}): Promise<Inspector> {
  const api = new InspectorApi(db, { embed: options.embed });
  let port = 0;
  let inFlight = 0;
  const server: Server = createServer((req, res) => {
    if (inFlight >= MAX_IN_FLIGHT) {
      sendError(res, new HttpError(503, "BUSY", `more than ${MAX_IN_FLIGHT} requests at once; try again`));
      req.resume();
      return;
    }
    inFlight++;
    let counted = true;
    const done = () => {
      if (counted) inFlight--;
      counted = false;
    };
    res.once("finish", done);
    res.once("close", done);
    handle(api, port, req, res).catch((e) => {
      options.onError?.(e);
      if (!res.headersSent) sendError(res, new HttpError(500, "INTERNAL", "the inspector failed on this request"));
      else res.destroy();
    });
  });
  server.requestTimeout = 60_000;
  server.headersTimeout = 15_000;
  // A browser keeps idle connections open; closing must end them, on every runtime.
  const sockets = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, LOOPBACK, () => {
      server.off("error", reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://${LOOPBACK}:${port}/`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
        for (const socket of sockets) socket.destroy();
      }),
  };
}

/** One request, from its checks to its answer. */
async function handle(api: InspectorApi, port: number, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const target = req.url ?? "";
    if (!target.startsWith("/") || target.length > MAX_URL) throw new HttpError(400, "BAD_REQUEST", "the request target must be a path of at most 8192 characters");
    checkHost(req.headers.host, port);
    checkOrigin(req, port);
    const url = new URL(target, `http://${LOOPBACK}:${port}`);
    const route = Object.hasOwn(ROUTES, url.pathname) ? ROUTES[url.pathname] : undefined;
    if (!route) throw new HttpError(404, "NOT_FOUND", `no such page or API: ${url.pathname}`);
    if (req.method !== route.method) {
      res.setHeader("allow", route.method);
      throw new HttpError(405, "METHOD_NOT_ALLOWED", `${url.pathname} takes ${route.method}, not ${req.method}`);
    }
    if (!route.params && [...url.searchParams.keys()].length > 0) throw new HttpError(400, "INVALID_ARGUMENT", `${url.pathname} takes no query parameters`);
    if (route.asset) {
      req.resume();
      send(res, 200, route.asset.type, route.asset.body);
      return;
    }
    const body = route.method === "POST" ? await readJson(req) : (req.resume(), undefined);
    let answer: unknown;
    try {
      answer = await route.handler!(api, { body, params: url.searchParams });
    } catch (e) {
      if (e instanceof VectLiteError) throw fromLibraryError(e);
      throw e;
    }
    send(res, 200, "application/json; charset=utf-8", JSON.stringify(answer));
  } catch (e) {
    if (!(e instanceof HttpError)) throw e;
    req.resume();
    sendError(res, e);
  }
}

/**
 * The Host header must name this server as the loopback address or localhost, with its port:
 * a page of another site that a rebound DNS name points here sends its own name, and is refused.
 */
function checkHost(host: string | undefined, port: number): void {
  const allowed = [`${LOOPBACK}:${port}`, `localhost:${port}`];
  if (host === undefined || !allowed.includes(host.toLowerCase())) {
    throw new HttpError(403, "FORBIDDEN_HOST", `the Host header must be ${allowed.join(" or ")}, found ${JSON.stringify(host ?? null)}`);
  }
}

/**
 * A request a browser makes for another site's page (its Origin, or Sec-Fetch-Site saying
 * cross-site) is refused, so no other page can even read the answers' timing or trigger work.
 */
function checkOrigin(req: IncomingMessage, port: number): void {
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${LOOPBACK}:${port}` && origin !== `http://localhost:${port}`) {
    throw new HttpError(403, "FORBIDDEN_ORIGIN", `requests from ${JSON.stringify(origin)} are refused`);
  }
  const site = req.headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin" && site !== "none") {
    throw new HttpError(403, "FORBIDDEN_ORIGIN", `a ${site} request is refused`);
  }
}

/** The JSON body of a POST: application/json, at most LIMITS.bodyBytes. */
async function readJson(req: IncomingMessage): Promise<unknown> {
  const type = (req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
  if (type !== "application/json") throw new HttpError(415, "UNSUPPORTED_MEDIA_TYPE", "the request body must be application/json");
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > LIMITS.bodyBytes) throw new HttpError(413, "PAYLOAD_TOO_LARGE", `the request body is larger than ${LIMITS.bodyBytes} bytes`);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Uint8Array).length;
    if (size > LIMITS.bodyBytes) throw new HttpError(413, "PAYLOAD_TOO_LARGE", `the request body is larger than ${LIMITS.bodyBytes} bytes`);
    chunks.push(chunk as Uint8Array);
  }
  const text = new TextDecoder("utf-8", { fatal: false }).decode(concat(chunks, size));
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new HttpError(400, "INVALID_JSON", `the request body is not JSON: ${(e as Error).message}`);
  }
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** An answer with the headers every answer carries. */
function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.statusCode = status;
  res.setHeader("content-type", type);
  res.setHeader("cache-control", "no-store");
  res.setHeader("x-content-type-options", "nosniff");
  res.setHeader("referrer-policy", "no-referrer");
  res.setHeader("x-frame-options", "DENY");
  res.setHeader("cross-origin-resource-policy", "same-origin");
  if (type.startsWith("text/html")) res.setHeader("content-security-policy", CSP);
  res.end(body);
}

function sendError(res: ServerResponse, e: HttpError): void {
  const error: Record<string, string> = { code: e.code, message: e.message };
  if (e.path !== undefined) error.path = e.path;
  send(res, e.status, "application/json; charset=utf-8", JSON.stringify({ error }));
}
