import { once } from "node:events";
import { createReadStream, createWriteStream } from "node:fs";
import { createInterface } from "node:readline";
import type { StatsReply } from "@zkv/protocol";
import { ExitCode } from "@zkv/protocol";
import type { Command } from "commander";
import { BackupFormatError, exportEntries, importEntries } from "../backup/backup.js";
import type { ZkvClient } from "../lib/requests/client.js";
import { CliExit } from "./cli-exit.js";
import { withClient } from "./flags.js";
import { err, out, write } from "./output.js";
import { progressBar } from "./progress-bar.js";

/** Keys the cluster holds, summed from every node's STATS: the export bar's total. */
async function keyCount(client: ZkvClient): Promise<number> {
  const counts = await Promise.all(
    client.members.map((m) =>
      client.request(m.id, { op: "STATS" }).then(
        (r) => (r as StatsReply).keys,
        () => 0,
      ),
    ),
  );
  return counts.reduce((a, b) => a + b, 0);
}

/** Newlines in a file: the import bar's total (a fast pass over the bytes, before any write). */
async function countLines(path: string): Promise<number> {
  let n = 0;
  for await (const chunk of createReadStream(path)) {
    for (let i = (chunk as Buffer).indexOf(10); i !== -1; i = (chunk as Buffer).indexOf(10, i + 1)) n++;
  }
  return n;
}

/** Registers `zkv export` and `zkv import`: backups as JSON lines. */
export function registerBackupCommands(program: Command): void {
  program
    .command("export")
    .description('write every key to a file (or stdout) as JSON lines: {"key":…,"value":…}')
    .option("-o, --out <file>", "file to write (default: stdout)")
    .action((o: { out?: string }, cmd: Command) =>
      withClient(cmd, async (client, flags) => {
        const file = o.out ? createWriteStream(o.out, { flags: "wx" }) : undefined;
        const sink = file
          ? async (line: string) => {
              if (!file.write(line)) await once(file, "drain");
            }
          : write;
        const bar = o.out ? progressBar("export", flags.json) : undefined;
        bar?.start(await keyCount(client), 0);
        try {
          const n = await exportEntries(client, sink, (done) => bar?.update(done));
          bar?.stop();
          if (file) {
            file.end();
            await once(file, "close");
          }
          const summary = { ok: true, exported: n, ...(o.out ? { file: o.out } : {}) };
          if (flags.json && o.out) out(JSON.stringify(summary));
          else err(`exported ${n} keys${o.out ? ` to ${o.out}` : ""}`);
        } catch (e) {
          bar?.stop();
          file?.destroy();
          throw e;
        }
      }),
    );
  program
    .command("import <file>")
    .description("write every entry of a JSON-lines backup (from zkv export; - for stdin) into the cluster")
    .action((path: string, _o, cmd: Command) =>
      withClient(cmd, async (client, flags) => {
        const input = path === "-" ? process.stdin : createReadStream(path);
        const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
        const bar = path === "-" ? undefined : progressBar("import", flags.json);
        if (bar) bar.start(await countLines(path), 0);
        let n: number;
        try {
          n = await importEntries(client, lines, (done) => bar?.update(done));
        } catch (e) {
          bar?.stop();
          if (e instanceof BackupFormatError) throw new CliExit(ExitCode.DATA_ERROR, `${path}: ${e.message}`);
          throw e;
        }
        bar?.stop();
        if (flags.json) out(JSON.stringify({ ok: true, imported: n }));
        else err(`imported ${n} keys`);
      }),
    );
}
