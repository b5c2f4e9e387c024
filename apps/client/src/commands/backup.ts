import { once } from "node:events";
import { createReadStream, createWriteStream } from "node:fs";
import { createInterface } from "node:readline";
import type { StatsReply } from "@zkv/protocol";
import { ExitCode } from "@zkv/protocol";
import type { Command } from "commander";
import { exportEntries, type ImportCounts, importEntries } from "../backup/backup.js";
import { BackupFormatError } from "../backup/format.js";
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

/** The import's closing line: what was written, and what was left out and why. */
function importSummary(c: ImportCounts): string {
  if (c.format === 1) return `imported ${c.imported} keys (a values-only backup: written as new writes)`;
  return `imported ${c.imported} keys, kept ${c.kept} newer copies already stored, skipped ${c.expired} expired`;
}

/** Registers `zkv export` and `zkv import`: backups as JSON lines (backup/format.ts). */
export function registerBackupCommands(program: Command): void {
  program
    .command("export")
    .description(
      'write every key to a file (or stdout) as JSON lines: a header, then {"key","value","version","expiresAt"?} per key',
    )
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
    .description(
      "load a backup from zkv export (- for stdin): each key keeps the newer of its copy and the backup's; expired entries are skipped",
    )
    .action((path: string, _o, cmd: Command) =>
      withClient(cmd, async (client, flags) => {
        const input = path === "-" ? process.stdin : createReadStream(path);
        const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
        const bar = path === "-" ? undefined : progressBar("import", flags.json);
        if (bar) bar.start(await countLines(path), 0);
        let counts: ImportCounts;
        try {
          counts = await importEntries(client, lines, (done) => bar?.update(done));
        } catch (e) {
          bar?.stop();
          if (e instanceof BackupFormatError) throw new CliExit(ExitCode.DATA_ERROR, `${path}: ${e.message}`);
          throw e;
        }
        bar?.stop();
        if (flags.json) out(JSON.stringify({ ok: true, ...counts }));
        else err(importSummary(counts));
      }),
    );
}
