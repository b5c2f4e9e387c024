import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

// docker-compose.yml and docker-compose.secure.yml as the compose tests read them: the files, the
// services and the fields of a service, with compose's defaults applied.

/** The repository root. */
export const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
/** The compose files, by absolute path. */
export const COMPOSE_FILE = `${ROOT}docker-compose.yml`;
export const SECURE_FILE = `${ROOT}docker-compose.secure.yml`;
/** The nodes `docker compose up` starts. */
export const NODES = ["node-0", "node-1", "node-2", "node-3"];
/** node-4, in the profile of the same name, for "Add Node-4". */
export const ADDED = "node-4";
export const BASE_PORT = 2000;

/** The fields of a compose service the tests look at. */
export interface Service {
  image?: string;
  profiles?: string[];
  build?: { context?: string; dockerfile?: string };
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, string> | string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  ports?: Array<string | { published?: string | number; target?: number }>;
  healthcheck?: { test?: string | string[] };
  volumes?: Array<string | { source?: string; target?: string }>;
}

// Compose allows YAML merge keys (`<<: *anchor`), which YAML 1.2 parsers resolve only when asked.
const compose = parse(readFileSync(COMPOSE_FILE, "utf8"), { merge: true }) as {
  services: Record<string, Service>;
};
/** docker-compose.yml's services, merge keys resolved. */
export const services = compose.services;

/** A service of docker-compose.yml; throws when there is none. */
export function service(name: string): Service {
  const s = services[name];
  if (!s) throw new Error(`docker-compose.yml has no service ${name}`);
  return s;
}

/** A service's environment as a record, whichever form the file uses. */
export function environment(s: Service): Record<string, string> {
  if (Array.isArray(s.environment)) {
    return Object.fromEntries(
      s.environment.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)] as const),
    );
  }
  return s.environment ?? {};
}

/** A service's depends_on as service → condition. */
export function dependencies(s: Service): Record<string, string> {
  if (Array.isArray(s.depends_on)) return Object.fromEntries(s.depends_on.map((d) => [d, "service_started"]));
  return Object.fromEntries(
    Object.entries(s.depends_on ?? {}).map(([d, v]) => [d, v.condition ?? "service_started"]),
  );
}

/** The value after `flag` in an argv-style command. */
export function flag(argv: readonly string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i === -1 ? undefined : argv[i + 1];
}

/** `${NAME:-default}` and `${NAME-default}` as compose reads them with NAME unset. */
export function withDefaults(value: string): string {
  return value.replace(/\$\{\w+:?-([^}]*)\}/g, "$1");
}

/** [host, container] port pairs of a service, with the variables at their defaults. */
export function ports(s: Service): Array<[number, number]> {
  return (s.ports ?? []).map((p) => {
    if (typeof p === "object") return [Number(p.published), Number(p.target)];
    const parts = withDefaults(p).split(":");
    return [Number(parts.at(-2)), Number(parts.at(-1))];
  });
}

/** The server's argv: the command, or the part a `sh -c` script ends by exec-ing. */
export function serverArgv(s: Service): string[] {
  const argv = Array.isArray(s.command) ? s.command : (s.command ?? "").split(/\s+/);
  if (text(s.entrypoint) !== "/bin/sh -c") return argv;
  const script = text(s.command);
  return script.slice(script.lastIndexOf("exec node dist/main.js ")).split(/\s+/);
}

/** A command or entrypoint as one string. */
export function text(value: string | string[] | undefined): string {
  return Array.isArray(value) ? value.join(" ") : (value ?? "");
}
