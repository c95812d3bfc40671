import { createHash, randomBytes } from 'node:crypto';

/** Access tokens are 256 random bits; only their SHA-256 is stored. */
export const ACCESS_TOKEN_PREFIX = 'rst_';

export function newAccessToken(): string {
  return ACCESS_TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/** API keys are 256 random bits too, with their own prefix; only their SHA-256 is stored. */
export const API_KEY_PREFIX = 'rsk_';

export function newApiKey(): string {
  return API_KEY_PREFIX + randomBytes(32).toString('base64url');
}

/** SHA-256 of a text, base64url: how tokens, keys and rate-limit keys are stored. */
export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}

export function hashToken(token: string): string {
  return sha256(token);
}

/** A strong random password for the internal account when none is configured. */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}
