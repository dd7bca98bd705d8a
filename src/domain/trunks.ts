/** The trunk columns of a stored number (both sides), as the database returns them. */
export interface TrunkColumns {
  inboundTrunkAddresses: string[];
  inboundTrunkTransport: "UDP" | "TCP" | "TLS" | null;
  inboundTrunkMediaEncryption: "DISABLED" | "SRTP" | null;
  inboundTrunkAuthUsername: string | null;
  inboundTrunkAuthPassword: string | null;
  inboundTrunkAllowedSourceIps: string[];
  outboundTrunkAddresses: string[];
  outboundTrunkTransport: "UDP" | "TCP" | "TLS" | null;
  outboundTrunkMediaEncryption: "DISABLED" | "SRTP" | null;
  outboundTrunkAuthUsername: string | null;
  outboundTrunkAuthPassword: string | null;
  outboundTrunkAllowedSourceIps: string[];
  outboundTrunkIpAuthentication: boolean;
}

/** One side of a SIP_TRUNK number's configuration, read from its row; the password itself never leaves. */
export interface TrunkView {
  addresses: string[];
  transport: "UDP" | "TCP" | "TLS" | null;
  mediaEncryption: "DISABLED" | "SRTP" | null;
  authUsername: string | null;
  hasPassword: boolean;
  /** A username and a password are both set. */
  hasCredentials: boolean;
  allowedSourceIps: string[];
  /** Outbound only: the trunk authenticates Switchboard by IP. */
  ipAuthentication: boolean;
}

/** One side of a number's trunk configuration, as the API shows it and setup status reads it. */
export function trunkView(n: TrunkColumns, side: "inbound" | "outbound"): TrunkView {
  const inbound = side === "inbound";
  const authUsername = inbound ? n.inboundTrunkAuthUsername : n.outboundTrunkAuthUsername;
  const hasPassword = Boolean(inbound ? n.inboundTrunkAuthPassword : n.outboundTrunkAuthPassword);
  return {
    addresses: inbound ? n.inboundTrunkAddresses : n.outboundTrunkAddresses,
    transport: inbound ? n.inboundTrunkTransport : n.outboundTrunkTransport,
    mediaEncryption: inbound ? n.inboundTrunkMediaEncryption : n.outboundTrunkMediaEncryption,
    authUsername,
    hasPassword,
    hasCredentials: Boolean(authUsername) && hasPassword,
    allowedSourceIps: inbound ? n.inboundTrunkAllowedSourceIps : n.outboundTrunkAllowedSourceIps,
    ipAuthentication: !inbound && n.outboundTrunkIpAuthentication,
  };
}
