/** Consul could not be reached or answered with an error; `cause` holds the transport error. */
export class ConsulUnavailableError extends Error {
  readonly code = "CONSUL_UNAVAILABLE";
  constructor(what: string, options?: { cause?: unknown }) {
    const reason = options?.cause instanceof Error ? `: ${options.cause.message}` : "";
    super(`Consul unavailable while ${what}${reason}`, options);
    this.name = "ConsulUnavailableError";
  }
}

/** Consul refused the request for lack of permission (ACLs): a configuration error, not a blip. */
export class ConsulPermissionError extends Error {
  readonly code = "CONSUL_PERMISSION_DENIED";
  constructor(what: string, options?: { cause?: unknown }) {
    super(`Consul denied permission while ${what}: check CONSUL_HTTP_TOKEN and its ACL policy`, options);
    this.name = "ConsulPermissionError";
  }
}

/** A cluster setting in Consul KV holds a value zkv cannot use. */
export class InvalidSettingError extends Error {
  readonly code = "INVALID_SETTING";
  constructor(
    readonly key: string,
    readonly value: string,
    expected: string,
  ) {
    super(`Consul KV "${key}" = "${value}" is invalid: expected ${expected}`);
    this.name = "InvalidSettingError";
  }
}

/**
 * Wraps an npm-consul failure in the typed error it stands for. The cause keeps the message and
 * HTTP status only: the raw error drags the whole socket and response along into every log.
 */
export function wrapConsulError(what: string, err: unknown): Error {
  const statusCode = (err as { response?: { statusCode?: number } })?.response?.statusCode;
  const cause = Object.assign(new Error((err as Error)?.message ?? String(err)), { statusCode });
  if (statusCode === 403) return new ConsulPermissionError(what, { cause });
  return new ConsulUnavailableError(what, { cause });
}
