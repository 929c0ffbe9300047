// Event documents: thin actions over services/events/documents.ts, and the upload
// route's multer guard. The upload is multipart: the route runs signedIn, then `receive` (multer,
// memory storage, tight limits, runs only for signed-in users), then the CSRF check
// (middleware/csrf.ts csrfAfterUpload), then the action.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import multer from 'multer';
import { z } from 'zod';
import type { Config } from '../config/index.ts';
import { type FieldErrors, HttpError, ValidationError } from '../lib/errors.ts';
import { parseForm } from '../lib/forms.ts';
import type { Actor } from '../types/actor.ts';
import { download, type Outcome, redirect } from '../lib/outcomes.ts';
import { deleteDocument, downloadDocument, uploadDocument } from '../services/events/documents.ts';
import { findEventInScope } from '../services/events/lookups.ts';
import { eventPage } from './events.ts';
import { CONFIRM_FIELD } from '../services/sensitive-data.ts';

/** The upload form's fields besides the file: the CSRF token and the sensitive-data confirmation. */
const UPLOAD_LIMITS = { files: 1, fields: 5, parts: 6, fieldSize: 1024, fieldNameSize: 100, headerPairs: 20 };

/** The upload form's fields besides the file (multer has already capped their number and size). */
const uploadForm = z.strictObject({
  _csrf: z.string().optional(),
  [CONFIRM_FIELD]: z.enum(['1'], { error: 'Tick the box or leave it empty.' }).optional(),
}, { error: (issue) => (issue.code === 'unrecognized_keys' ? `This form does not accept the field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}. Nothing was saved.` : undefined) });

/** Multer's refusals as clear 4xx answers (never a 500). */
function uploadError(error: unknown, maxMb: number): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof multer.MulterError) {
    switch (error.code) {
      case 'LIMIT_FILE_SIZE':
        return new HttpError(413, `The file is larger than the ${maxMb} MB limit. Nothing was saved.`);
      case 'LIMIT_FILE_COUNT':
      case 'LIMIT_UNEXPECTED_FILE':
        return new HttpError(400, 'Attach one file, in the form’s file field. Nothing was saved.');
      default:
        return new HttpError(400, 'This upload form carried more than it should. Nothing was saved.');
    }
  }
  return new HttpError(400, 'The upload could not be read (it was interrupted or malformed). Nothing was saved.');
}

export function documentsController(config: Config) {
  const maxMb = config.maxUploadMb;
  const parse = multer({
    storage: multer.memoryStorage(),
    limits: { ...UPLOAD_LIMITS, fileSize: maxMb * 1024 * 1024 },
    // Browsers send file names as raw UTF-8.
    defParamCharset: 'utf8',
  }).single('file');

  return {
    /** Guard: parses the multipart body into req.file / req.body, within the limits. */
    receive: ((req: Request, res: Response, next: NextFunction) => {
      parse(req, res, (error?: unknown) => next(error ? uploadError(error, maxMb) : undefined));
    }) as RequestHandler,

    // POST /events/:id/documents — a refused file comes back as the event page with the reason.
    async upload(req: Request, actor: Actor): Promise<Outcome> {
      const eventId = String(req.params.id);
      try {
        const form = parseForm(uploadForm, req.body);
        if (!form.ok) throw new ValidationError({ file: form.errors.form ?? Object.values(form.errors)[0]! });
        const file = req.file ? { originalName: req.file.originalname ?? '', buffer: req.file.buffer } : undefined;
        const doc = await uploadDocument(actor.user, eventId, file, form.data[CONFIRM_FIELD] === '1');
        return redirect(`/events/${doc.eventId}#documents`, { kind: 'success', message: `Uploaded “${doc.fileName}”.` });
      } catch (error) {
        if (!(error instanceof HttpError) || ![415, 422].includes(error.status)) throw error;
        const fields = error instanceof ValidationError ? error.fields : {};
        const errors: FieldErrors = fields[CONFIRM_FIELD] ? { uploadConfirmSensitive: fields[CONFIRM_FIELD] } : { file: fields.file ?? error.message };
        return eventPage(actor, await findEventInScope(eventId), { errors: { ...errors, form: error.message }, form: 'upload', status: error.status });
      }
    },

    // GET /documents/:id
    async download(req: Request, actor: Actor): Promise<Outcome> {
      const doc = await downloadDocument(actor.user, String(req.params.id));
      return download(doc.content, doc.fileName, doc.contentType);
    },

    // POST /documents/:id/delete
    async destroy(req: Request, actor: Actor): Promise<Outcome> {
      const doc = await deleteDocument(actor.user, String(req.params.id));
      return redirect(`/events/${doc.eventId}#documents`, { kind: 'success', message: `Removed “${doc.fileName}”.` });
    },
  };
}
