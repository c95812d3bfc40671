import argon2 from 'argon2';

/** OWASP Password Storage Cheat Sheet: argon2id, 19 MiB, 2 iterations, 1 lane. */
const OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

let hashesComputed = 0;

/** How many password hashes this process has computed (`roster_password_hashes_total`). */
export function passwordHashesComputed(): number {
  return hashesComputed;
}

export function hashPassword(password: string): Promise<string> {
  hashesComputed += 1;
  return argon2.hash(password, OPTIONS);
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends the time of one verification when there is no hash to check (unknown
 * user, service account, OAuth2 account), so that a failed login takes the
 * same time whatever the reason.
 */
export async function verifyNothing(password: string): Promise<false> {
  dummyHash ??= hashPassword('roster-timing-equaliser');
  await verifyPassword(await dummyHash, password);
  return false;
}
