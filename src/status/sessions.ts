/**
 * Responder sessions: a random id in an `HttpOnly; SameSite=Strict` cookie, and a CSRF token per
 * session that every session write must send back in `X-CSRF-Token` (a page on another site can make
 * the browser send the cookie, never read the token). Sessions expire on the clock; at most
 * `maxSessions` are kept.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../core/clock.js';

/** The cookie that carries the session id. */
export const SESSION_COOKIE = 'fs_session';

/** One signed-in responder. */
export interface Session {
  readonly id: string;
  readonly csrf: string;
  readonly expiresAt: number;
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** The value of cookie `name` in a `Cookie` header, or undefined. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The sessions of one status server. */
export class Sessions {
  readonly #clock: Clock;
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #sessions = new Map<string, Session>();

  /** @param ttlMs - how long a session lasts, in milliseconds. @param max - sessions kept at most. */
  constructor(clock: Clock, ttlMs: number, max = 1_000) {
    this.#clock = clock;
    this.#ttlMs = ttlMs;
    this.#max = max;
  }

  /** Starts a session. */
  create(): Session {
    if (this.#sessions.size >= this.#max) this.#sessions.delete(this.#sessions.keys().next().value!);
    const session: Session = {
      id: randomBytes(24).toString('base64url'),
      csrf: randomBytes(24).toString('base64url'),
      expiresAt: this.#clock.now() + this.#ttlMs,
    };
    this.#sessions.set(session.id, session);
    return session;
  }

  /** The live session named by the request's `Cookie` header, if any. */
  fromCookie(header: string | undefined): Session | undefined {
    const id = readCookie(header, SESSION_COOKIE);
    if (id === undefined) return undefined;
    const session = this.#sessions.get(id);
    if (session === undefined) return undefined;
    if (this.#clock.now() >= session.expiresAt) {
      this.#sessions.delete(id);
      return undefined;
    }
    return session;
  }

  /** Whether `token` is the session's CSRF token (constant time). */
  checkCsrf(session: Session, token: unknown): boolean {
    return typeof token === 'string' && timingSafeEqual(digest(token), digest(session.csrf));
  }

  /** Ends a session. */
  end(session: Session): void {
    this.#sessions.delete(session.id);
  }

  /** The `Set-Cookie` value for `session` (or one that clears the cookie). */
  cookie(session: Session | undefined): string {
    return session === undefined
      ? `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`
      : `${SESSION_COOKIE}=${session.id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${Math.floor(this.#ttlMs / 1000)}`;
  }
}
