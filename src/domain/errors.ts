/**
 * The domain errors of the contract (API.md section 1.1). Services throw these;
 * one HTTP error handler maps each class to its status and writes
 * `{"detail": [name, message]}`. Messages must never carry secrets.
 */
export abstract class DomainError extends Error {
  abstract readonly status: number;
  /** The contract's error name, the first element of `detail`. */
  abstract readonly errorName: string;
}

/** 401: no, malformed, expired or revoked credentials; wrong login. */
export class AuthorizationException extends DomainError {
  readonly status = 401;
  readonly errorName = 'AuthorizationException';
}

/** 403: the caller may not do this. */
export class IllegalOperationError extends DomainError {
  readonly status = 403;
  readonly errorName = 'IllegalOperationError';
}

/** 404: the resource does not exist or the caller may not see it. */
export class KeyError extends DomainError {
  readonly status = 404;
  readonly errorName = 'KeyError';
}

/** 409: a unique value is taken. */
export class EntityExistsError extends DomainError {
  readonly status = 409;
  readonly errorName = 'EntityExistsError';
}

/** 400: a well-formed request that the rules refuse. */
export class ValueError extends DomainError {
  readonly status = 400;
  readonly errorName = 'ValueError';
}

/** 412: `If-Match` does not match the current version. */
export class PreconditionFailed extends DomainError {
  readonly status = 412;
  readonly errorName = 'PreconditionFailed';
}

/** 429: rate limit hit; `retryAfterSeconds` becomes the `Retry-After` header. */
export class TooManyRequests extends DomainError {
  readonly status = 429;
  readonly errorName = 'TooManyRequests';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
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
  readonly errorName = 'InvalidInput';
  constructor(
    readonly loc: (string | number)[],
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}
