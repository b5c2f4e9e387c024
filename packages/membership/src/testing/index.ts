/**
 * Test support for zkv's integration tests: real throwaway Consul agents and the bookkeeping that
 * guarantees none outlives a test run. Not part of the runtime surface (import
 * `@zkv/membership/testing`).
 */
export { ZKV_ACL_POLICY_FILE } from "./acl.js";
export { CONSUL_VERSION, ConsulBinaryNotFoundError, findConsulBinary } from "./consul-binary.js";
export { eventually } from "./eventually.js";
export { HoldingProxy } from "./holding-proxy.js";
export { trackPid, trackProcessGroup, untrackPid } from "./pids.js";
export { freePortRange, freePorts } from "./ports.js";
export { startTestConsul, type TestConsul, type TestConsulOptions } from "./test-consul.js";
