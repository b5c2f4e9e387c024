/**
 * Charges `perf script` samples to the stages of a zkv request: the per-op breakdown of
 * bench/README.md. A sample's stage comes from the innermost frame that says something:
 * libzmq, its N-API glue and the socket syscalls are transport; V8's collector is gc; the
 * innermost JavaScript function with a known home names the rest (natives it called, such as
 * JSON.parse under parseJsonSafe, count for it).
 */

/** Stages, in the order the table prints them. */
export const STAGE_NAMES = [
  "decode",
  "validate",
  "route",
  "store",
  "version",
  "reply",
  "encode",
  "transport",
  "runtime",
  "gc",
  "jit",
  "workload",
] as const;
export type Stage = (typeof STAGE_NAMES)[number];

/** JavaScript frames by file (and function), first match wins; unmatched frames defer to their caller. */
const JS_STAGES: ReadonlyArray<readonly [Stage, RegExp]> = [
  ["transport", /zeromq\/lib\/|node-connection\.ts.*#pump|^\*?#?try .*client-output/],
  [
    "decode",
    /protocol\/src\/(json|frames)\.ts|^[*^~]?decodeRequest |node:internal\/encoding|columnar-decode|^[*^~]?decode\w* .*protocol\/src\/(batch|columns)/,
  ],
  [
    "validate",
    /key-op-fast-path|-fast-path\.ts|decode-request\.ts|protocol\/src\/schemas\/|\/zod\/|validateReply|pickReplySchema|isCommonReply/,
  ],
  ["encode", /^[*^~]?encode\w* |node:buffer|protocol\/src\/(codec|columns)/],
  ["version", /store\/versions\.ts/],
  ["store", /server\/src\/store\/|\/lmdb\//],
  [
    "route",
    /hashring\/|lib\/cluster\/(cluster-view|placement|node-pool|batcher)|redirects\.ts|cluster\/ownership\.ts/,
  ],
  [
    "reply",
    /server\/src\/(requests|node|replication)\/|prom-client|lib\/requests\/|node-connection\.ts|client\/src\/index/,
  ],
  ["workload", /(^|[\s/])bench\//],
];

/** Native frames below any JavaScript: the socket library, the collector, the compiler, LMDB. */
const NATIVE_STAGES: ReadonlyArray<readonly [Stage, RegExp]> = [
  ["transport", /zmq::|zmq_|napi_|Socket::Poller|uv__io_poll|epoll|sendto|recvfrom|__send|__poll|tcp_/],
  [
    "gc",
    /v8::internal::(Heap|Scavenger|MarkCompact|Sweeper|MinorMark|ConcurrentMarking|GlobalHandles::Destroy)/,
  ],
  ["jit", /OptimizingCompileDispatcher|v8::internal::compiler::|Maglev/],
  ["store", /mdb_|lmdb|WriteWorker/],
];

/**
 * Where V8 was entered from outside: natives further out (the event loop, the socket's readiness
 * callback) only called in, so a sample with no known JavaScript below them is the runtime's own
 * (promise jobs, callbacks), not theirs.
 */
const JS_ENTRY = /Builtins_JSEntry|Builtins_RunMicrotasks|Execution::Call|InternalCallbackScope/;

/** A sample's stage, and the frame that decided it (the innermost one, when none did). */
function stageOfSample(comm: string, frames: readonly string[]): [Stage, string] {
  if (comm.startsWith("ZMQbg")) return ["transport", comm];
  let entered = false;
  for (const frame of frames) {
    if (frame.startsWith("JS:")) {
      const text = frame.slice(3).replace(/file:\/\/\S*?\/(apps|packages|bench|node_modules)\//, "$1/");
      for (const [stage, pattern] of JS_STAGES) if (pattern.test(text)) return [stage, text];
      continue;
    }
    if (entered) continue;
    if (JS_ENTRY.test(frame)) entered = true;
    else for (const [stage, pattern] of NATIVE_STAGES) if (pattern.test(frame)) return [stage, frame];
  }
  return ["runtime", frames[0] ?? "?"];
}

/** Samples per stage of one process, and per deciding frame within each stage. */
export interface StageCounts {
  readonly stages: Map<Stage, number>;
  readonly frames: Map<Stage, Map<string, number>>;
}

/**
 * Samples per stage for each named process, from `perf script -F comm,pid,tid,ip,sym` output (a
 * header line `comm pid/tid` then one tab-indented frame (address, symbol) per line, innermost first; blank between).
 */
export function attribute<K extends string>(
  script: string,
  pids: Readonly<Record<K, number>>,
): Record<K, StageCounts> {
  const byPid = new Map<number, StageCounts>();
  const out = {} as Record<K, StageCounts>;
  for (const name of Object.keys(pids) as K[]) {
    out[name] = { stages: new Map(), frames: new Map() };
    byPid.set(pids[name], out[name]);
  }
  let header: { comm: string; pid: number } | undefined;
  let frames: string[] = [];
  const flush = () => {
    const counts = header && byPid.get(header.pid);
    if (counts) {
      const [stage, frame] = stageOfSample(header!.comm, frames);
      counts.stages.set(stage, (counts.stages.get(stage) ?? 0) + 1);
      let byFrame = counts.frames.get(stage);
      if (byFrame === undefined) {
        byFrame = new Map();
        counts.frames.set(stage, byFrame);
      }
      byFrame.set(frame, (byFrame.get(frame) ?? 0) + 1);
    }
    header = undefined;
    frames = [];
  };
  for (const line of script.split("\n")) {
    if (line.trim() === "") flush();
    else if (line.startsWith("\t")) {
      frames.push(line.trim().replace(/^[0-9a-f]+\s+/, ""));
    } else {
      flush();
      const m = /^\s*(.*?)\s+(\d+)\/(\d+)/.exec(line);
      header = m ? { comm: m[1]!, pid: Number(m[2]) } : undefined;
    }
  }
  flush();
  return out;
}
