import Consul from "consul";
import { ConsulPermissionError, ConsulUnavailableError } from "./errors.js";

/** Where the Consul HTTP API is and how to authenticate to it. */
export interface ConsulConfig {
  /** Host name or IP of the agent. */
  readonly host: string;
  readonly port: number;
  /** True for https. */
  readonly secure: boolean;
  /** ACL token sent as X-Consul-Token; the npm client never reads CONSUL_HTTP_TOKEN by itself. */
  readonly token?: string;
}

/** The address the consul CLI itself uses when CONSUL_HTTP_ADDR is unset. */
export const DEFAULT_CONSUL_ADDR = "127.0.0.1:8500";

/** Raised for a CONSUL_HTTP_ADDR that neither the consul CLI nor zkv could use. */
export class ConsulAddressError extends Error {
  readonly code = "INVALID_CONSUL_ADDR";
  constructor(readonly addr: string) {
    super(`invalid Consul address "${addr}": expected host:port or http(s)://host:port`);
    this.name = "ConsulAddressError";
  }
}

/**
 * Parses an address the way the consul CLI accepts it: `host:port`, `http://host:port` or
 * `https://host:port` (CONSUL_HTTP_SSL=true also selects https for a bare host:port).
 */
export function parseConsulAddr(addr: string, ssl = false): Pick<ConsulConfig, "host" | "port" | "secure"> {
  const trimmed = addr.trim();
  const withScheme = /^[a-z]+:\/\//i.test(trimmed) ? trimmed : `${ssl ? "https" : "http"}://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new ConsulAddressError(addr);
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || url.hostname === "") {
    throw new ConsulAddressError(addr);
  }
  const secure = url.protocol === "https:";
  const port = url.port === "" ? (secure ? 443 : 8500) : Number(url.port);
  // URL keeps IPv6 literals bracketed; node's http wants them bare.
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  return { host, port, secure };
}

/** Reads CONSUL_HTTP_ADDR, CONSUL_HTTP_SSL and CONSUL_HTTP_TOKEN, as every Consul tool does. */
export function consulConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ConsulConfig {
  const ssl = /^(1|true)$/i.test(env.CONSUL_HTTP_SSL ?? "");
  const parsed = parseConsulAddr(env.CONSUL_HTTP_ADDR || DEFAULT_CONSUL_ADDR, ssl);
  const token = env.CONSUL_HTTP_TOKEN || undefined;
  return token === undefined ? parsed : { ...parsed, token };
}

/** Formats a config back into the `http(s)://host:port` form, for logs and child processes. */
export function formatConsulAddr(config: ConsulConfig): string {
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  return `${config.secure ? "https" : "http"}://${host}:${config.port}`;
}

const clients = new Map<string, Consul>();

/**
 * The npm `consul` client for a config, one per agent address and token per process. Each client
 * owns a keep-alive HTTP agent: creating one per call leaks sockets until Consul's per-client
 * connection limit (200) answers 429.
 */
export function createConsulClient(config: ConsulConfig): Consul {
  const key = `${formatConsulAddr(config)}|${config.token ?? ""}`;
  let client = clients.get(key);
  if (!client) {
    client = newClient(config);
    clients.set(key, client);
  }
  return client;
}

function newClient(config: ConsulConfig): Consul {
  return new Consul({
    host: config.host,
    port: config.port,
    secure: config.secure,
    ...(config.token === undefined ? {} : { defaults: { token: config.token } }),
  });
}

/**
 * What to tell a person whose Consul could not be reached: where zkv looked, how it chose that
 * address, and what to try. The CLIs print it under a CONSUL_UNAVAILABLE error.
 */
export function consulAdvice(env: NodeJS.ProcessEnv = process.env): string {
  const addr = env.CONSUL_HTTP_ADDR;
  if (!addr) {
    return (
      `zkv looked for Consul at ${DEFAULT_CONSUL_ADDR}, the default, because CONSUL_HTTP_ADDR is not set. ` +
      "Is an agent running there (bash scripts/start.sh starts one and prints its address)? " +
      "Otherwise set CONSUL_HTTP_ADDR=host:port to the agent of your cluster."
    );
  }
  return (
    `zkv looked for Consul at ${addr}, from CONSUL_HTTP_ADDR. ` +
    "Is the agent running and reachable from here, and is that the address scripts/start.sh or your operator gave? " +
    "(CONSUL_HTTP_SSL=true selects https for a bare host:port.)"
  );
}

/**
 * A Consul error as a person at a terminal should read it: where zkv looked when Consul was
 * unavailable (consulAdvice, on a line of its own), or that no token is set when permission was
 * denied. Undefined for an error that is not about Consul. Both CLIs print their errors with it.
 */
export function describeConsulError(err: unknown, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (err instanceof ConsulUnavailableError) return `${err.message}\n${consulAdvice(env)}`;
  if (err instanceof ConsulPermissionError)
    return env.CONSUL_HTTP_TOKEN ? err.message : `${err.message} (CONSUL_HTTP_TOKEN is not set)`;
  return undefined;
}
