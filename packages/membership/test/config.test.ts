import { describe, expect, it } from "vitest";
import {
  ConsulAddressError,
  ConsulPermissionError,
  ConsulUnavailableError,
  consulAdvice,
  consulConfigFromEnv,
  describeConsulError,
  formatConsulAddr,
  parseConsulAddr,
} from "../src/index.js";

describe("CONSUL_HTTP_ADDR parsing (as the consul CLI accepts it)", () => {
  it("takes host:port", () => {
    expect(parseConsulAddr("10.0.0.5:8501")).toEqual({ host: "10.0.0.5", port: 8501, secure: false });
  });
  it("takes http:// and https:// URLs", () => {
    expect(parseConsulAddr("http://consul:8500")).toEqual({ host: "consul", port: 8500, secure: false });
    expect(parseConsulAddr("https://consul.example:8501")).toEqual({
      host: "consul.example",
      port: 8501,
      secure: true,
    });
  });
  it("uses CONSUL_HTTP_SSL for a bare host:port", () => {
    expect(consulConfigFromEnv({ CONSUL_HTTP_ADDR: "c:8501", CONSUL_HTTP_SSL: "true" }).secure).toBe(true);
  });
  it("defaults to 127.0.0.1:8500 and reads the token", () => {
    expect(consulConfigFromEnv({ CONSUL_HTTP_TOKEN: "s3cret" })).toEqual({
      host: "127.0.0.1",
      port: 8500,
      secure: false,
      token: "s3cret",
    });
  });
  it("handles IPv6 literals both ways", () => {
    const parsed = parseConsulAddr("[::1]:8500");
    expect(parsed.host).toBe("::1");
    expect(formatConsulAddr(parsed)).toBe("http://[::1]:8500");
  });
  it("rejects garbage with a typed error", () => {
    expect(() => parseConsulAddr("ftp://x:1")).toThrow(ConsulAddressError);
    expect(() => parseConsulAddr("::::")).toThrow(ConsulAddressError);
  });
  it("advice names the address zkv used and where it came from", () => {
    expect(consulAdvice({})).toContain("127.0.0.1:8500, the default, because CONSUL_HTTP_ADDR is not set");
    expect(consulAdvice({ CONSUL_HTTP_ADDR: "10.0.0.7:8501" })).toContain(
      "10.0.0.7:8501, from CONSUL_HTTP_ADDR",
    );
  });
});

describe("describeConsulError (what both CLIs print)", () => {
  it("adds the advice under an unavailable Consul, on a line of its own", () => {
    const text = describeConsulError(new ConsulUnavailableError("reading KV"), {});
    expect(text?.split("\n")).toEqual([
      "Consul unavailable while reading KV",
      expect.stringContaining("CONSUL_HTTP_ADDR is not set"),
    ]);
  });
  it("says the token is missing only when it is", () => {
    const denied = new ConsulPermissionError("reading KV");
    expect(describeConsulError(denied, {})).toMatch(/ACL policy \(CONSUL_HTTP_TOKEN is not set\)$/);
    expect(describeConsulError(denied, { CONSUL_HTTP_TOKEN: "t" })).toBe(denied.message);
  });
  it("leaves other errors to the caller", () => {
    expect(describeConsulError(new Error("boom"), {})).toBeUndefined();
  });
});
