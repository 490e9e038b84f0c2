// Name syntax checks shared by the manifest parsers, with the messages of k8s.io/apimachinery
// pkg/util/validation (DNS-1123 subdomain, DNS-1035 label, IsValidPortName) and the patterns
// of kubernetes-sigs/gateway-api apis/v1 (Hostname, GatewayController, HeaderName, path).

// ---- name syntax (k8s.io/apimachinery/pkg/util/validation) -------------------------------------

export const DNS1123_LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
export const DNS1123_LABEL_RE = new RegExp(`^${DNS1123_LABEL}$`);
export const DNS1123_SUBDOMAIN_RE = new RegExp(`^${DNS1123_LABEL}(\\.${DNS1123_LABEL})*$`);
const WILDCARD_SUBDOMAIN_RE = new RegExp(`^\\*\\.${DNS1123_LABEL}(\\.${DNS1123_LABEL})*$`);
const DNS1035_LABEL_RE = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
/** gateway-api Hostname: an optional leading "*." then a DNS subdomain. */
export const GATEWAY_HOSTNAME_RE = new RegExp(`^(\\*\\.)?${DNS1123_LABEL}(\\.${DNS1123_LABEL})*$`);
export const GATEWAY_CONTROLLER_RE = new RegExp(`^${DNS1123_LABEL}(\\.${DNS1123_LABEL})*\\/[A-Za-z0-9\\/\\-._~%!$&'()*+,;=:]+$`);
export const HEADER_NAME_RE = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/;
export const GATEWAY_PATH_CHARS_RE = /^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$/;

export function dnsSubdomainError(v: string): string | undefined {
  if (v.length > 253) return 'must be no more than 253 characters';
  if (!DNS1123_SUBDOMAIN_RE.test(v))
    return 'a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "-" or ".", and must start and end with an alphanumeric character (e.g. "example.com")';
  return undefined;
}

function wildcardSubdomainError(v: string): string | undefined {
  if (v.length > 253) return 'must be no more than 253 characters';
  if (!WILDCARD_SUBDOMAIN_RE.test(v)) return 'a wildcard DNS-1123 subdomain must start with "*.", followed by a valid DNS subdomain (e.g. "*.example.com")';
  return undefined;
}

/** A host in an Ingress rule or TLS entry: a DNS subdomain, or "*." and one. */
export function hostError(v: string): string | undefined {
  return v.includes('*') ? wildcardSubdomainError(v) : dnsSubdomainError(v);
}

export function dns1035Error(v: string): string | undefined {
  if (v.length > 63) return 'must be no more than 63 characters';
  if (!DNS1035_LABEL_RE.test(v))
    return 'a DNS-1035 label must consist of lower case alphanumeric characters or "-", start with an alphabetic character, and end with an alphanumeric character (e.g. "my-name")';
  return undefined;
}

/** IsValidPortName (an IANA_SVC_NAME): 1-15 of [a-z0-9-], at least one letter, no "--", no
 * leading or trailing "-". Each check with apimachinery's message and a one-line wording. */
const PORT_NAME_CHECKS: { bad: (v: string) => boolean; message: string; short: string }[] = [
  { bad: (v) => v.length < 1 || v.length > 15, message: 'must be no more than 15 characters', short: 'a port name must be 1 to 15 characters' },
  {
    bad: (v) => !/^[-a-z0-9]+$/.test(v),
    message: 'must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
    short: 'a port name must be lowercase letters, digits and "-"',
  },
  { bad: (v) => !/[a-z]/.test(v), message: 'must contain at least one letter (a-z)', short: 'a port name must contain at least one letter' },
  { bad: (v) => v.includes('--'), message: 'must not contain consecutive hyphens', short: 'a port name must not contain "--"' },
  { bad: (v) => v.startsWith('-') || v.endsWith('-'), message: 'must not begin or end with a hyphen', short: 'a port name must not begin or end with "-"' },
];

/** IsValidPortName: every failed check, in apimachinery's words. */
export function portNameErrors(v: string): string[] {
  return PORT_NAME_CHECKS.filter((c) => c.bad(v)).map((c) => c.message);
}

/** IsValidPortName: the first failed check, as one short sentence (NetworkPolicy ports). */
export function portNameError(name: string): string | undefined {
  return PORT_NAME_CHECKS.find((c) => c.bad(name))?.short;
}
