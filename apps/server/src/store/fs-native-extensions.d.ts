/**
 * The two calls zkv uses from fs-native-extensions, which ships no types. On Linux both are
 * `fcntl(F_OFD_SETLK)` on the whole file (offset 0, length 0: to the end, however it grows).
 */
declare module "fs-native-extensions" {
  /** An exclusive lock (shared with `{ shared: true }`): true if granted, false if held elsewhere. */
  export function tryLock(fd: number, options?: { readonly shared?: boolean }): boolean;
  /** Drops this descriptor's lock. */
  export function unlock(fd: number): void;
}
