import { ClusterSettings, replication } from "@zkv/membership";
import { startTestConsul, type TestConsul } from "@zkv/membership/testing";
import { afterAll, beforeAll, expect } from "vitest";
import { type ClientOptions, ZkvClient } from "../../src/index.js";
import { runCli, startCluster, type TestCluster } from "./cluster.js";

/** What a describe block's cluster is made of, and what runs on it before its tests. */
export interface ConsulClusterOptions {
  /** cluster_size, written to Consul KV before the launcher starts (else: from `args`). */
  readonly size?: number;
  /** Copies of each key, written to zkv/replication with majority quorums. */
  readonly replicas?: number;
  /** Launcher flags. */
  readonly args?: readonly string[];
  /** `zkv load --count <preload>` once the cluster is ready: key-<i> = value-<i>. */
  readonly preload?: number;
  /** Connect a ZkvClient to it, for the tests to share. */
  readonly client?: boolean;
}

/** A real Consul, a launcher with its nodes on it, and (when asked for) a connected client. */
export interface ConsulCluster {
  readonly consul: TestConsul;
  /** A test may stop it and start another in its place, which the block then stops. */
  cluster: TestCluster;
  /** Only with `client: true`. */
  readonly client: ZkvClient;
}

/**
 * Starts, in the calling describe block's beforeAll, a Consul with the cluster settings of
 * `options`, a launcher and its nodes, and the load and client asked for; its afterAll closes
 * all of it, whatever the tests did. Read the returned fields inside tests, once beforeAll ran.
 */
export function useConsulCluster(options: ConsulClusterOptions): ConsulCluster {
  const fixture = {} as { consul?: TestConsul; cluster?: TestCluster; client?: ZkvClient };
  beforeAll(async () => {
    const consul = await startTestConsul();
    fixture.consul = consul;
    const settings = new ClusterSettings(consul.config);
    if (options.size !== undefined) await settings.setClusterSize(options.size);
    if (options.replicas !== undefined) await settings.setReplication(replication(options.replicas));
    fixture.cluster = await startCluster(consul.env, options.args);
    if (options.preload !== undefined) {
      const load = await runCli(["load", "--count", String(options.preload)], consul.env);
      expect(load.code, load.stderr).toBe(0);
    }
    if (options.client) fixture.client = await ZkvClient.connect({ consul: consul.config });
  });
  afterAll(async () => {
    await fixture.client?.close();
    await fixture.cluster?.stop();
    await fixture.consul?.stop();
  });
  return fixture as ConsulCluster;
}

/** Runs `body` with a client of its own, closed after it whatever happens. */
export async function withClient<T>(
  options: ClientOptions,
  body: (client: ZkvClient) => Promise<T>,
): Promise<T> {
  const client = await ZkvClient.connect(options);
  try {
    return await body(client);
  } finally {
    await client.close();
  }
}
