/**
 * Passwords Roster refuses whatever their length (API.md 3, NIST SP 800-63B
 * 5.1.1.2): the 10,000 most common passwords of a public breach corpus (the
 * ranked list zxcvbn-ts ships, from leaked-password sets), compared
 * case-insensitively; whitespace only; one character repeated.
 */
import { dictionary } from '@zxcvbn-ts/language-common';

const COMMON_COUNT = 10_000;
let common: Set<string> | undefined;

function commonPasswords(): Set<string> {
  common ??= new Set((dictionary['passwords-common'] as string[]).slice(0, COMMON_COUNT).map((p) => p.toLowerCase()));
  return common;
}

/** Why a password is refused, or undefined when it is acceptable. */
export function passwordWeakness(password: string): string | undefined {
  if (password.trim() === '') return 'it is only whitespace';
  const characters = [...password];
  if (characters.every((c) => c === characters[0])) return 'it is one character repeated';
  if (commonPasswords().has(password.toLowerCase())) return 'it is among the 10,000 most common passwords';
  return undefined;
}
