import { readFileSync } from "node:fs";

/**
 * A reader that goes away (`zkv all | head`, `zkv-server --help | head -1`) is not an error:
 * stop quietly, as Unix tools do, instead of dying of an unhandled EPIPE.
 */
export function exitQuietlyOnEpipe(): void {
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(0);
    throw e;
  });
}

/**
 * True for `--version` or `-V` alone. Checked by hand before commander parses, because
 * commander's .version() would also take a command's own flag (`zkv get --version k`).
 */
export function versionRequested(args: readonly string[]): boolean {
  return args.length === 1 && (args[0] === "--version" || args[0] === "-V");
}

/**
 * The version in the package.json at `manifest`, read at run time: a program passes the URL
 * relative to its own file (`new URL("../../package.json", import.meta.url)`), which holds for
 * the sources, tsc's dist/ and the bundled dist/cli/*.mjs alike.
 */
export function packageVersion(manifest: URL): string {
  return (JSON.parse(readFileSync(manifest, "utf8")) as { version: string }).version;
}
