import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { eventually, freePorts, trackProcessGroup, untrackPid } from "@zkv/membership/testing";
import { ExitCode } from "@zkv/protocol";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { LOCK_FILE } from "../src/store/lock.js";
import { TestProcesses } from "./support/processes.js";

/**
 * The data-dir lock against real processes: a holder that dies (SIGKILL, reaped or still a
 * zombie) frees the dir at once, whatever pid its lock file names; a live holder keeps it.
 */
const HOLDER = fileURLToPath(new URL("./support/lock-holder.ts", import.meta.url));
const root = mkdtempSync(join(tmpdir(), "zkv-lock-"));
let dirs = 0;
const groups: number[] = [];
const processes = new TestProcesses();
afterEach(async () => {
  for (const pgid of groups.splice(0)) {
    try {
      process.kill(-pgid, "SIGKILL");
    } catch {
      // gone already
    }
    untrackPid(pgid);
  }
  await processes.cleanup();
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function nextDir(): string {
  const dir = join(root, String(dirs++));
  mkdirSync(dir);
  return dir;
}

/** Runs `command` in a process group of its own, killed after the test. */
function spawnGroup(command: string, args: readonly string[]): ChildProcess {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "inherit"], detached: true });
  trackProcessGroup(child.pid);
  groups.push(child.pid!);
  return child;
}

/** The holder's first line: `locked <pid>` or `refused <code> <pid>`. */
function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("\n")) resolve(out.split("\n")[0]!);
    });
    child.once("exit", (code) => reject(new Error(`holder exited ${code} before saying anything`)));
  });
}

/** Starts a lock holder on `dir` and returns its verdict and pid. */
async function hold(dir: string): Promise<{ child: ChildProcess; line: string; pid: number }> {
  const child = spawnGroup(process.execPath, ["--import", "tsx", HOLDER, dir]);
  const line = await firstLine(child);
  return { child, line, pid: Number(line.split(" ").pop()) };
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

/** The state letter of /proc/<pid>/stat (R, S, Z, …), or "gone". */
function procState(pid: number): string {
  try {
    return /^\d+ \(.*\) (\S)/s.exec(readFileSync(`/proc/${pid}/stat`, "utf8"))?.[1] ?? "?";
  } catch {
    return "gone";
  }
}

describe("the data-dir lock", () => {
  it("is free at once after its holder is SIGKILLed, 20 times in a row", async () => {
    const dir = nextDir();
    let holder = await hold(dir);
    for (let round = 0; round < 20; round++) {
      expect(holder.line).toBe(`locked ${holder.child.pid}`);
      holder.child.kill("SIGKILL");
      await exited(holder.child);
      holder = await hold(dir);
    }
    expect(holder.line).toMatch(/^locked /);
  });

  it("is free while its killed holder is a zombie its parent has not reaped", async () => {
    const dir = nextDir();
    // sh starts the holder and becomes `sleep`, which never waits for its children.
    const parent = spawnGroup("sh", [
      "-c",
      `"$0" --import tsx "$1" "$2" & exec sleep 600`,
      process.execPath,
      HOLDER,
      dir,
    ]);
    const line = await firstLine(parent);
    const pid = Number(line.split(" ").pop());
    expect(line).toBe(`locked ${pid}`);
    process.kill(pid, "SIGKILL");
    await eventually(() => procState(pid) === "Z");
    const next = await hold(dir);
    expect(next.line).toBe(`locked ${next.child.pid}`);
    expect(procState(pid)).toBe("Z"); // still unreaped: the lock did not wait for that
  });

  it("ignores a lock file naming a live process that holds no lock (a reused pid)", async () => {
    const dir = nextDir();
    const first = await hold(dir);
    first.child.kill("SIGKILL");
    await exited(first.child);
    // In a container the dead holder's pid soon belongs to someone else, e.g. this test runner.
    writeFileSync(join(dir, LOCK_FILE), `${process.pid}\n`);
    const next = await hold(dir);
    expect(next.line).toBe(`locked ${next.child.pid}`);
  });

  it("refuses a second live holder with DATA_DIR_LOCKED, naming the holder's pid", async () => {
    const dir = nextDir();
    const first = await hold(dir);
    expect(first.line).toBe(`locked ${first.child.pid}`);
    const second = await hold(dir);
    expect(second.line).toBe(`refused DATA_DIR_LOCKED ${first.child.pid}`);
    expect(await exited(second.child)).toBe(73);
  });
});

describe("a --data-dir node", () => {
  it("starts again at once after its process group is SIGKILLed; a second live node exits 73", async () => {
    const dataDir = nextDir();
    const [port, other] = (await freePorts(2)) as [number, number];
    const args = ["--data-dir", dataDir];
    const env = { ZKV_STATIC: "1" };
    const first = await processes.node("node-0", port, args, env);
    const client = processes.dealer(port);
    expect(await client.request({ op: "PUT", key: "k", value: "v" })).toMatchObject({ ok: true });
    await client.close();

    const intruder = processes.run(["--node-id", "node-0", "--port", String(other), ...args], env);
    expect(await intruder.exited).toBe(ExitCode.CANT_CREATE);
    expect(intruder.output()).toContain(`DATA_DIR_LOCKED`);
    expect(intruder.output()).toContain(`process ${first.child.pid}`);

    await first.stop("SIGKILL"); // the whole group, as a supervisor or `docker kill` does
    await processes.node("node-0", port, args, env);
    expect(await processes.dealer(port).request({ op: "GET_ONE", key: "k" })).toMatchObject({ value: "v" });
  });
});
