/**
 * @zkv/protocol/cli: what the two command lines, `zkv` and `zkv-server`, promise their users
 * alike, next to the exit codes both end with (in the main entry): how a numeric flag is
 * checked, the CURVE flags and where their keys may come from, the version, and output that
 * stops quietly when its reader goes away. A subpath of its own, so the library entry that
 * clients and nodes load never loads commander.
 */
export {
  addCurveOptions,
  type CurveFlags,
  type CurveRole,
  curveIdentityFromFlags,
  curveServerKeyFromFlags,
} from "./curve-flags.js";
export { positiveInt, positiveNumber } from "./flag-parsers.js";
export { exitQuietlyOnEpipe, packageVersion, versionRequested } from "./process.js";
