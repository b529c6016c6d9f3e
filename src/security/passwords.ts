/**
 * Password hashing (argon2id) and the SPEC §6 policy: 12–128 characters, not the username, not a
 * well-known password.
 */
import { randomBytes } from 'node:crypto';
import argon2 from 'argon2';
import { AppError } from '../errors.js';
import { isCommonPassword } from './commonPasswords.js';

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 128;

/**
 * OWASP's argon2id recommendation (Password Storage Cheat Sheet): m=19 MiB, t=2, p=1. On the
 * 2-core CI machine one verification costs ~47 ms (the library default m=64 MiB, t=3, p=4 costs
 * ~150 ms, which makes a login flood a cheap CPU denial of service). Stored hashes carry their
 * parameters, so raising them later keeps old hashes verifiable.
 */
const HASH_OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, HASH_OPTIONS);
}

/** False for a wrong password and for a malformed stored hash (never throws on bad input). */
export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

/** Why a password is refused, or undefined when the policy accepts it. */
export function passwordProblem(password: string, username?: string): string | undefined {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) return `must be at least ${PASSWORD_MIN_LENGTH} characters`;
  if (length > PASSWORD_MAX_LENGTH) return `must be at most ${PASSWORD_MAX_LENGTH} characters`;
  if (username && password.toLowerCase() === username.toLowerCase()) return 'must not equal the username';
  if (isCommonPassword(password)) return 'is too common';
  return undefined;
}

/** Throws 400 WEAK_PASSWORD naming the rule that failed. */
export function assertPasswordPolicy(password: string, username?: string): void {
  const problem = passwordProblem(password, username);
  if (problem) {
    throw new AppError(`Password ${problem}`, 400, 'WEAK_PASSWORD', { field: 'password' });
  }
}

/** A random password that satisfies the policy (24 base64url characters, 144 bits). */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

/**
 * A hash of a random password, verified against when the username is unknown, so that login
 * takes the same time whether or not the account exists.
 */
let dummyHash: Promise<string> | undefined;
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
  return dummyHash;
}
