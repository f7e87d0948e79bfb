/**
 * Principals as Kafka writes them: `User:<name>`. A client that did not authenticate (PLAINTEXT,
 * or SSL without a client certificate) is `User:ANONYMOUS`, as in Kafka. Pure.
 */

export const ANONYMOUS = 'User:ANONYMOUS';

export function userPrincipal(name: string): string {
  return `User:${name}`;
}

/** `User:alice` → `alice`; undefined for another principal type. */
export function userName(principal: string): string | undefined {
  return principal.startsWith('User:') ? principal.slice(5) : undefined;
}
