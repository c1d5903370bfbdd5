import { echo, type Problem } from '../../errors.ts';

/**
 * Emails are stored as given (trimmed) and compared case-insensitively (docs/api-contract.md §3).
 * Plus-addressed variants are distinct users on purpose: the docs recommend them for tenants.
 * We accept ASCII addresses only (RFC 5321 without SMTPUTF8): an internationalised address that
 * looks like another one is a classic account-confusion trick, and the docs' users never need one.
 */
const LOCAL = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const DOMAIN = /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;

export const normalizeEmail = (email: string) => email.trim().toLowerCase();

/** Why an email is unacceptable, or null when it is fine. */
export function emailProblem(email: string): string | null {
  const trimmed = email.trim();
  if (trimmed.length === 0) return 'is empty';
  if (trimmed.length > 254) return 'is longer than 254 characters';
  if (/[^\x21-\x7e]/.test(trimmed)) return 'must be ASCII without spaces or control characters';
  const at = trimmed.lastIndexOf('@');
  if (at <= 0 || at === trimmed.length - 1) return 'is not an email address';
  const local = trimmed.slice(0, at);
  const domain = trimmed.slice(at + 1);
  if (local.length > 64) return 'has a local part longer than 64 characters';
  if (!LOCAL.test(local)) return 'has an invalid local part';
  if (!DOMAIN.test(domain)) return 'has an invalid domain';
  return null;
}

/** Validates a batch of emails, naming each bad one by its index. */
export function emailProblems(emails: readonly string[], field = 'emails'): Problem[] {
  const problems: Problem[] = [];
  emails.forEach((email, i) => {
    const problem = emailProblem(email);
    if (problem)
      problems.push({ code: 'BAD_USER_INPUT', field: `${field}[${i}]`, item: echo(email), message: problem });
  });
  return problems;
}
