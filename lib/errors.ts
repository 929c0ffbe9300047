// Typed errors, rendered by the one error handler (middleware/errors.ts).
export type FieldErrors = Record<string, string>;

export class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export class BadRequestError extends HttpError {
  constructor(message = 'The request could not be understood.') {
    super(400, message);
  }
}

export class ForbiddenError extends HttpError {
  constructor(message = 'You do not have permission to do that.') {
    super(403, message);
  }
}

export class NotFoundError extends HttpError {
  constructor(message = 'That page does not exist, or you do not have access to it.') {
    super(404, message);
  }
}

export class ValidationError extends HttpError {
  constructor(readonly fields: FieldErrors, message = 'Please correct the highlighted fields.') {
    super(422, message);
  }
}

export class TooManyRequestsError extends HttpError {
  constructor(message: string, readonly retryAfterSeconds?: number) {
    super(429, message);
  }
}

/** The request was sound but the thing has moved on (an event closed meanwhile). */
export class ConflictError extends HttpError {
  constructor(message: string) {
    super(409, message);
  }
}

/** The server is too busy for this request just now; nothing was done, and it may be sent again. */
export class ServiceUnavailableError extends HttpError {
  constructor(message: string, readonly retryAfterSeconds: number) {
    super(503, message);
  }
}
