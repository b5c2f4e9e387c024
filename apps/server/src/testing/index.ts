/**
 * @zkv/server/testing: one way for tests and benches to run real zkv-server processes (a
 * launcher with its nodes, or a single node), each in a process group cleaned up with it.
 */
export {
  spawnZkvServer,
  startZkvCluster,
  type ZkvClusterOptions,
  type ZkvServerOptions,
  type ZkvServerProcess,
  type ZkvTestCluster,
} from "./cluster.js";
export { programArgv } from "./programs.js";
