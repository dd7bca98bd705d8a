import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";

/**
 * Where customer webhooks may be sent (server-side request forgery): https only, to public
 * addresses. Checked when an endpoint is saved and again before every delivery on the addresses the
 * host resolves to then, and the connection goes to the checked address (DNS rebinding cannot
 * switch it between the check and the connect).
 */
export interface UrlPolicy {
  /** http:// to loopback, and loopback addresses at all (development and tests). */
  allowLoopback: boolean;
  /** Host names (lower case) that may resolve to non-public addresses (an operator's own services). */
  allowedHosts: readonly string[];
}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to all its addresses (dns.lookup, as connections do); injectable for tests. */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));

/** A URL or address the policy refuses, with the reason in words (shown to the endpoint's owner). */
export class UnsafeWebhookTarget extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnsafeWebhookTarget";
  }
}

const ranges: Array<[name: string, list: BlockList]> = [];
function range(name: string, subnets: Array<[string, number, "ipv4" | "ipv6"]>): void {
  const list = new BlockList();
  for (const [network, prefix, type] of subnets) list.addSubnet(network, prefix, type);
  ranges.push([name, list]);
}
// Order matters only for the reason shown: the metadata addresses sit inside link-local and private.
range("a cloud metadata address", [["169.254.169.254", 32, "ipv4"], ["fd00:ec2::254", 128, "ipv6"]]);
range("a loopback address", [["127.0.0.0", 8, "ipv4"], ["::1", 128, "ipv6"]]);
range("an unspecified address", [["0.0.0.0", 8, "ipv4"], ["::", 128, "ipv6"]]);
range("a private address", [["10.0.0.0", 8, "ipv4"], ["172.16.0.0", 12, "ipv4"], ["192.168.0.0", 16, "ipv4"], ["100.64.0.0", 10, "ipv4"], ["fc00::", 7, "ipv6"]]);
range("a link-local address", [["169.254.0.0", 16, "ipv4"], ["fe80::", 10, "ipv6"]]);
range("a multicast address", [["224.0.0.0", 4, "ipv4"], ["ff00::", 8, "ipv6"]]);
range("a reserved address", [["240.0.0.0", 4, "ipv4"], ["192.0.0.0", 24, "ipv4"], ["198.18.0.0", 15, "ipv4"], ["64:ff9b::", 96, "ipv6"], ["2001:db8::", 32, "ipv6"]]);

/** An IPv4 address written as IPv6 (::ffff:10.0.0.1) is judged as the IPv4 address it is. */
function normalise(address: string): { address: string; type: "ipv4" | "ipv6" } {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return { address: mapped[1]!, type: "ipv4" };
  return { address, type: isIP(address) === 6 ? "ipv6" : "ipv4" };
}

/** Which non-public range an address is in ("a private address", ...), or undefined for a public one. */
export function nonPublicRange(address: string): string | undefined {
  const { address: plain, type } = normalise(address);
  return ranges.find(([, list]) => list.check(plain, type))?.[0];
}

/** The URL's own problems (scheme, credentials, form), before any lookup; undefined when it may be used. */
export function urlProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return "Must be an absolute https:// URL";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return "Must be an https:// URL";
  if (url.username || url.password) return "Must not contain a user name or password";
  if (!url.hostname) return "Must name a host";
  return undefined;
}

/**
 * Resolves the URL's host and checks every address it has (a host with one public and one private
 * address is refused: the connection could reach either). Returns the address to connect to.
 */
export async function checkTarget(text: string, policy: UrlPolicy, resolve: Resolver = systemResolver): Promise<ResolvedAddress> {
  const problem = urlProblem(text);
  if (problem) throw new UnsafeWebhookTarget(problem);
  const url = new URL(text);
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  let addresses: ResolvedAddress[];
  if (isIP(host)) addresses = [{ address: host, family: isIP(host) === 6 ? 6 : 4 }];
  else {
    try {
      addresses = await resolve(host);
    } catch (error) {
      throw new UnsafeWebhookTarget(`${host} could not be resolved (${(error as { code?: string }).code ?? (error as Error).message})`);
    }
    if (addresses.length === 0) throw new UnsafeWebhookTarget(`${host} could not be resolved`);
  }
  const allowedHost = policy.allowedHosts.includes(host);
  const kinds = addresses.map((a) => nonPublicRange(a.address));
  for (const [i, kind] of kinds.entries()) {
    if (!kind || allowedHost) continue;
    if (kind === "a loopback address" && policy.allowLoopback) continue;
    const where = host === addresses[i]!.address ? `${host} is` : `${host} resolves to ${addresses[i]!.address}, which is`;
    throw new UnsafeWebhookTarget(`${where} ${kind}: webhooks go to public addresses only`);
  }
  if (url.protocol === "http:") {
    const loopbackOnly = policy.allowLoopback && kinds.every((kind) => kind === "a loopback address");
    if (!loopbackOnly) throw new UnsafeWebhookTarget("Must be an https:// URL");
  }
  return addresses[0]!;
}
