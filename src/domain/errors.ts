/**
 * The domain errors of the contract (API.md section 1.1). Services throw these;
 * one HTTP error handler maps each class to its status and writes
 * `{"detail": [name, message]}`. Messages must never carry secrets.
 */
export abstract class DomainError extends Error {
  abstract readonly status: number;

  /**
   * The contract's error name, the first element of `detail`: the class's own
   * name (the build does not minify; renaming a class renames the error).
   */
  get errorName(): string {
    return this.constructor.name;
  }
}

/** 401: no, malformed, expired or revoked credentials; wrong login. */
export class AuthorizationException extends DomainError {
  readonly status = 401;
}

/** 403: the caller may not do this. */
export class IllegalOperationError extends DomainError {
  readonly status = 403;
}

/** 404: the resource does not exist or the caller may not see it. */
export class KeyError extends DomainError {
  readonly status = 404;
}

/** 409: a unique value is taken. */
export class EntityExistsError extends DomainError {
  readonly status = 409;
}

/** 400: a well-formed request that the rules refuse. */
export class ValueError extends DomainError {
  readonly status = 400;
}

/** 412: `If-Match` does not match the current version. */
export class PreconditionFailed extends DomainError {
  readonly status = 412;
}

/** 429: rate limit hit; `retryAfterSeconds` becomes the `Retry-After` header. */
export class TooManyRequests extends DomainError {
  readonly status = 429;
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/**
 * 400 with an OAuth2 error body (`{"error": "authorization_pending"}`,
 * RFC 8628 section 3.5): the device grant's answers to a polling client,
 * for that grant only.
 */
export class OAuthError extends DomainError {
  readonly status = 400;
  constructor(
    readonly error: 'authorization_pending' | 'slow_down' | 'access_denied' | 'expired_token' | 'invalid_grant',
    message: string,
  ) {
    super(message);
  }
}

/**
 * 422: a request value that passed the schema but is still unusable (a
 * malformed cursor, a combination of parameters that excludes itself). The
 * error handler writes it in the same shape as schema validation errors.
 */
export class InvalidInput extends DomainError {
  readonly status = 422;
  constructor(
    readonly loc: (string | number)[],
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}
