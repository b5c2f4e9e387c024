import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  ADDED,
  dependencies,
  environment,
  NODES,
  SECURE_FILE,
  type Service,
  text,
} from "./support/compose-services.js";

// What docker-compose.secure.yml adds to docker-compose.yml, checked without an engine.
// apps/client/test/e2e-compose-secure.test.ts runs it for real.

describe("docker-compose.secure.yml (on top of docker-compose.yml)", () => {
  const secure = parse(readFileSync(SECURE_FILE, "utf8"), { merge: true }) as {
    services: Record<string, Service>;
  };
  const over = (name: string): Service => {
    const s = secure.services[name];
    if (!s) throw new Error(`docker-compose.secure.yml has no service ${name}`);
    return s;
  };

  it("turns Consul ACLs on with default deny, and installs zkv's documented policy and token", () => {
    expect(text(over("consul").command)).toMatch(/acl \{ enabled = true, default_policy = "deny"/);
    const init = over("acl-init");
    expect(init.volumes).toContain("./deploy/consul-acl-policy.hcl:/zkv/consul-acl-policy.hcl:ro");
    expect(text(init.command)).toContain("consul acl policy create -name zkv");
    expect(text(init.command)).toContain('-policy-name zkv -secret "$$ZKV_CONSUL_TOKEN"');
    expect(dependencies(over("cluster-init"))).toEqual({ "acl-init": "service_completed_successfully" });
  });

  it("makes the CURVE keys with zkv keygen into a volume, once", () => {
    const keys = text(over("curve-keys").command);
    expect(keys).toMatch(
      /^if \[ ! -f \/keys\/node\.key \]; then node dist\/main\.js keygen --out \/keys --name node/,
    );
    expect(keys).toContain("keygen --out /keys --name client");
  });

  it.each([...NODES, ADDED])("%s runs CURVE with the zkv token only after the keys exist", (name) => {
    const node = over(name);
    expect(environment(node)).toMatchObject({
      CONSUL_HTTP_TOKEN: expect.stringMatching(/^\$\{ZKV_CONSUL_TOKEN/),
      ZKV_CURVE_SECRET_KEY_FILE: "/keys/node.key",
      ZKV_CURVE_ALLOWED_CLIENTS_FILE: "/keys/allowed-clients",
    });
    expect(node.volumes).toEqual(["zkv-keys:/keys:ro"]);
    expect(dependencies(node)).toEqual({ "curve-keys": "service_completed_successfully" });
  });

  it("gives the client its own key and the zkv token", () => {
    expect(environment(over("client"))).toEqual({
      CONSUL_HTTP_TOKEN: expect.stringMatching(/^\$\{ZKV_CONSUL_TOKEN\}$/),
      ZKV_CURVE_SECRET_KEY_FILE: "/keys/client.key",
    });
  });
});
