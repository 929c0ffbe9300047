// Event documents: thin actions over services/events/documents.ts, and the upload
// route's multer guard. The upload is multipart: the route runs signedIn, then `receive` (multer,
// memory storage, tight limits, runs only for signed-in users), then the CSRF check
// (middleware/csrf.ts csrfAfterUpload), then the action.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import multer from 'multer';
import { CHECKLIST_ROWS } from './plan-item-form.ts';
import type { Config } from '../config/index.ts';
import { type FieldErrors, HttpError, ValidationError } from '../lib/errors.ts';
import { parseForm } from '../lib/forms.ts';
import type { Actor } from '../types/actor.ts';
import { download, type Outcome, redirect } from '../lib/outcomes.ts';
import { saveChecklist } from '../services/events/closing.ts';
import { deleteDocument, downloadDocument, uploadDocument } from '../services/events/documents.ts';
import { findEventInScope } from '../services/events/lookups.ts';
import { eventPage, formValues, workForm } from './events.ts';
import { CONFIRM_FIELD } from '../services/sensitive-data.ts';

/** The upload carries the whole work form: the CSRF token, the confirmation, completion date,
 *  notes and up to CHECKLIST_ROWS answers (text answers and notes may be long). */
const UPLOAD_LIMITS = { files: 1, fields: 8 + CHECKLIST_ROWS, parts: 9 + CHECKLIST_ROWS, fieldSize: 64 * 1024, fieldNameSize: 100, headerPairs: 20 };

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

    // POST /events/:id/documents — the work form's Upload button: the file, and the checklist
    // answers saved with it (so nothing typed is lost); the date and notes come back on the page.
    // A refused file comes back as the event page with the reason and everything as typed.
    async upload(req: Request, actor: Actor): Promise<Outcome> {
      const event = await findEventInScope(String(req.params.id));
      const values = formValues(req.body);
      // Where a refusal came from: the form itself, the checklist answers, or the file.
      let stage: 'form' | 'answers' | 'file' = 'form';
      try {
        const form = parseForm(workForm(event), req.body);
        if (!form.ok) throw new ValidationError({ file: form.errors.form ?? Object.values(form.errors)[0]! });
        const confirmed = form.data[CONFIRM_FIELD] === '1';
        const keepAnswers = form.data.checklistShown === '1' && event.checklist.length > 0;
        stage = 'answers';
        if (keepAnswers) await saveChecklist(actor, event.id, form.data, confirmed);
        stage = 'file';
        const file = req.file ? { originalName: req.file.originalname ?? '', buffer: req.file.buffer } : undefined;
        const doc = await uploadDocument(actor.user, event.id, file, confirmed);
        req.session.eventDraft = { eventId: event.id, completedOn: form.data.completedOn, closingNotes: form.data.closingNotes };
        return redirect(`/events/${doc.eventId}#documents`, { kind: 'success', message: `Uploaded “${doc.fileName}”.${keepAnswers ? ' Checklist answers saved.' : ''}` });
      } catch (error) {
        if (!(error instanceof HttpError) || ![415, 422].includes(error.status)) throw error;
        const fields = error instanceof ValidationError ? error.fields : {};
        const errors: FieldErrors = stage === 'answers'
          ? { ...fields, form: 'Nothing was uploaded: correct the highlighted checklist answers, then choose the file again.' }
          : fields[CONFIRM_FIELD] ? { uploadConfirmSensitive: fields[CONFIRM_FIELD] } : { file: fields.file ?? error.message };
        return eventPage(actor, event, { values, errors, form: 'upload', status: error.status });
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
