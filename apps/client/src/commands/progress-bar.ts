import { SingleBar } from "cli-progress";

/**
 * A progress bar of keys (or other `unit`s) on stderr, only when stderr is a terminal and the
 * output is not --json (scripts and pipes get no bar). `label` and `rate` may hold the bar's
 * payload fields, such as `{phase}` or `{speed}`.
 */
export function progressBar(
  label: string,
  json: boolean | undefined,
  rate = "{eta}s left",
  unit = "keys",
): SingleBar | undefined {
  if (!process.stderr.isTTY || json) return undefined;
  return new SingleBar({
    format: `${label} [{bar}] {value}/{total} ${unit} | ${rate}`,
    stream: process.stderr,
  });
}
