import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  ADDED,
  BASE_PORT,
  COMPOSE_FILE,
  dependencies,
  environment,
  flag,
  NODES,
  ports,
  ROOT,
  SECURE_FILE,
  serverArgv,
  service,
  services,
  text,
} from "./support/compose-services.js";

/**
 * What docker-compose.yml says, checked without an engine: the services, their wiring and
 * ordering, ports and ids that agree, and, where a compose implementation is installed, that
 * compose itself accepts the file. apps/client/test/e2e-compose.test.ts runs it for real.
 */

describe("docker-compose.yml", () => {
  it("has the consul, cluster-init, node-0 … node-3 and client services, and node-4 in its own profile", () => {
    const always = Object.keys(services).filter((name) => !service(name).profiles);
    expect(always.sort()).toEqual(["client", "cluster-init", "consul", ...NODES].sort());
    expect(service(ADDED).profiles).toEqual([ADDED]);
  });

  it("runs Consul 1.14.x (the last MPL-2.0 line) as a health-checked one-server cluster on port 8500 that keeps its state in a volume", () => {
    const consul = service("consul");
    expect(consul.image).toMatch(/^hashicorp\/consul:1\.14\.\d+$/);
    expect(text(consul.command)).toMatch(/^agent -server -bootstrap-expect=1 /);
    expect(text(consul.command)).toMatch(/-client[ =]0\.0\.0\.0/);
    expect(consul.healthcheck?.test).toBeDefined();
    expect(ports(consul)).toContainEqual([8500, 8500]);
    expect(consul.volumes).toEqual(["consul-data:/consul/data"]);
  });

  it("sets cluster_size to the number of node services, and the hashing, once Consul is healthy and only where absent", () => {
    const init = service("cluster-init");
    expect(init.image).toBe(service("consul").image);
    const script = `${text(init.entrypoint)} ${text(init.command)}`;
    expect(script).toContain(
      `(consul kv get cluster_size 2> /dev/null || consul kv put cluster_size ${NODES.length})`,
    );
    expect(script).toContain("(consul kv get zkv/hashing 2> /dev/null || consul kv put zkv/hashing");
    expect(environment(init).CONSUL_HTTP_ADDR).toMatch(/^(http:\/\/)?consul:8500$/);
    expect(dependencies(init)).toEqual({ consul: "service_healthy" });
  });

  describe.each([...NODES, ADDED].map((name, i) => [name, i] as const))("%s", (name, i) => {
    const node = service(name);
    const argv = serverArgv(node);

    it("runs one node of the server image whose id, port and advertised address match the service", () => {
      expect(node.build?.dockerfile).toBe("apps/server/Dockerfile");
      expect(flag(argv, "--node-id")).toBe(name);
      expect(flag(argv, "--port")).toBe(String(BASE_PORT + i));
      expect(flag(argv, "--host")).toBe("0.0.0.0");
      // The service name is what other containers resolve: never a loopback address.
      expect(flag(argv, "--advertise")).toBe(name);
      expect(ports(node)).toEqual([[BASE_PORT + i, BASE_PORT + i]]);
    });

    it("finds Consul through CONSUL_HTTP_ADDR and starts after Consul is healthy and cluster-init done", () => {
      expect(environment(node).CONSUL_HTTP_ADDR).toBe("http://consul:8500");
      expect(dependencies(node)).toEqual({
        consul: "service_healthy",
        "cluster-init": "service_completed_successfully",
      });
    });

    it("keeps its data in a volume of its own at ZKV_DATA_DIR", () => {
      expect(environment(node).ZKV_DATA_DIR).toBe("/data");
      const mounts = (node.volumes ?? []).map((v) => (typeof v === "string" ? v : `${v.source}:${v.target}`));
      expect(mounts).toEqual([`${name}-data:/data`]);
    });

    it("is health-checked on its own port and its own Consul registration", () => {
      const test = text(node.healthcheck?.test);
      expect(test).toContain(`pingNode('127.0.0.1', ${BASE_PORT + i},`);
      expect(test).toContain(`/v1/agent/health/service/id/zkv-${name}'`);
    });
  });

  it("starts node-4 only once the placement record names it (a node started unnamed takes itself for removed)", () => {
    const script = text(service(ADDED).command);
    expect(script).toContain(`desiredNodes(record).some((n) => n.id === '${ADDED}')`);
    expect(script.indexOf("desiredNodes(")).toBeLessThan(script.indexOf("exec node dist/main.js"));
  });

  it("publishes no host port twice and gives every node its own container port", () => {
    const hostPorts = Object.values(services).flatMap((s) => ports(s).map(([host]) => host));
    expect(new Set(hostPorts).size).toBe(hostPorts.length);
    const nodePorts = [...NODES, ADDED].map((n) => ports(service(n))[0]?.[1]);
    expect(new Set(nodePorts).size).toBe(NODES.length + 1);
  });

  it("publishes on the interface ZKV_PUBLISH_IP names, each host port set by its own variable", () => {
    for (const name of ["consul", ...NODES, ADDED]) {
      for (const p of service(name).ports ?? [])
        expect(p).toMatch(/^\$\{ZKV_PUBLISH_IP:-0\.0\.0\.0\}:\$\{ZKV_PORT_[A-Z0-9_]+-\d+\}:\d+$/);
    }
  });

  it("runs the client's load once every node is healthy, then shows the distribution", () => {
    const client = service("client");
    expect(client.build?.dockerfile).toBe("apps/client/Dockerfile");
    expect(environment(client).CONSUL_HTTP_ADDR).toBe("http://consul:8500");
    expect(dependencies(client)).toEqual(Object.fromEntries(NODES.map((n) => [n, "service_healthy"])));
    const script = text(client.command);
    expect(script).toMatch(/dist\/main\.js load --count 10000 && node dist\/main\.js nodes$/);
  });

  it("builds from Dockerfiles that exist and run the built app on Node 20 as a non-root user", () => {
    for (const file of ["apps/server/Dockerfile", "apps/client/Dockerfile"]) {
      expect(existsSync(`${ROOT}${file}`), file).toBe(true);
      const dockerfile = readFileSync(`${ROOT}${file}`, "utf8");
      expect(dockerfile).toContain("ARG NODE_IMAGE=node:20-bookworm-slim");
      expect(dockerfile).toMatch(/^USER node$/m);
      expect(dockerfile).toContain('ENTRYPOINT ["node", "dist/main.js"]');
      expect(dockerfile).toContain("node scripts/deploy.mjs");
    }
    const ignore = readFileSync(`${ROOT}.dockerignore`, "utf8").split("\n");
    for (const entry of [".git", "**/node_modules", "**/dist", "**/.turbo"]) expect(ignore).toContain(entry);
  });
});

/** `docker compose` (v2 plugin) if installed, else `docker-compose` (v1), else undefined. */
function composeCommand(): string[] | undefined {
  for (const candidate of [["docker", "compose"], ["docker-compose"]]) {
    const probe = spawnSync(candidate[0]!, [...candidate.slice(1), "version"], { encoding: "utf8" });
    if (probe.status === 0) return candidate;
  }
  return undefined;
}

const composeCli = composeCommand();

describe("compose's own validation", () => {
  if (composeCli === undefined)
    console.warn(
      "compose.test.ts: SKIPPED `config -q`: neither the docker compose plugin nor docker-compose is installed",
    );
  const cli = composeCli ?? ["docker", "compose"];
  it.skipIf(composeCli === undefined)(
    `\`${cli.join(" ")} config -q\` accepts docker-compose.yml alone and with docker-compose.secure.yml, node-4's profile too`,
    () => {
      const env = { ...process.env, ZKV_CONSUL_MANAGEMENT_TOKEN: "m", ZKV_CONSUL_TOKEN: "t" };
      for (const files of [[COMPOSE_FILE], [COMPOSE_FILE, SECURE_FILE]]) {
        for (const profile of [[], ["--profile", ADDED]]) {
          const args = [...cli.slice(1), ...files.flatMap((f) => ["-f", f]), ...profile, "config", "-q"];
          const run = spawnSync(cli[0]!, args, { cwd: ROOT, encoding: "utf8", env });
          expect(run.stderr).toBe("");
          expect(run.status).toBe(0);
        }
      }
    },
  );
});
