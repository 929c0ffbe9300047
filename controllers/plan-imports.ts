// Plan Item import: upload an XLSX or CSV, see its dry run, apply it all or none; and the template.
// The upload is multipart: the route runs signedIn, then `receive` (multer, memory storage, tight
// limits), then the CSRF check (middleware/csrf.ts csrfAfterUpload), then the action.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import multer from 'multer';
import { z } from 'zod';
import type { Config } from '../config/index.ts';
import { displayZone } from '../lib/display-dates.ts';
import { HttpError } from '../lib/errors.ts';
import { parseForm } from '../lib/forms.ts';
import { download, type Outcome, redirect, view } from '../lib/outcomes.ts';
import { authorize } from '../policies/index.ts';
import { applyImport, dryRun, type DryRun, IMPORT_COLUMNS, IMPORT_HOURS, ImportRefused, keepUpload, requireKeptImport } from '../services/imports/plan-import.ts';
import { MAX_IMPORT_ROWS } from '../services/imports/spreadsheet.ts';
import { importTemplate } from '../services/imports/template.ts';
import { facilitiesInScope } from '../services/organisation/hierarchy.ts';
import type { Actor } from '../types/actor.ts';
import { single } from './plan-item-form.ts';

const UPLOAD_LIMITS = { files: 1, fields: 2, parts: 3, fieldSize: 1024, fieldNameSize: 100, headerPairs: 20 };
const uploadForm = z.strictObject({ _csrf: single }, {
  error: (issue) => (issue.code === 'unrecognized_keys' ? `This form does not accept the field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}. Nothing was saved.` : undefined),
});
const applyForm = z.strictObject({ _csrf: single, confirmSensitive: z.literal('1').optional() }, {
  error: (issue) => (issue.code === 'unrecognized_keys' ? `This form does not accept the field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}. Nothing was imported.` : undefined),
});

/** Multer's refusals as clear 4xx answers (never a 500). */
function uploadError(error: unknown, maxMb: number): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof multer.MulterError) {
    if (error.code === 'LIMIT_FILE_SIZE') return new HttpError(413, `The file is larger than the ${maxMb} MB limit. Nothing was saved.`);
    if (error.code === 'LIMIT_FILE_COUNT' || error.code === 'LIMIT_UNEXPECTED_FILE') return new HttpError(400, 'Attach one file, in the form’s file field. Nothing was saved.');
    return new HttpError(400, 'This upload form carried more than it should. Nothing was saved.');
  }
  return new HttpError(400, 'The upload could not be read (it was interrupted or malformed). Nothing was saved.');
}

export function planImportsController(config: Config) {
  const maxMb = config.maxUploadMb;
  const parse = multer({ storage: multer.memoryStorage(), limits: { ...UPLOAD_LIMITS, fileSize: maxMb * 1024 * 1024 }, defParamCharset: 'utf8' }).single('file');

  const uploadPage = (error: string | null, status = 200): Outcome =>
    view('imports/new', { title: 'Import Plan Items', error, columns: IMPORT_COLUMNS, maxRows: MAX_IMPORT_ROWS, maxMb, hours: IMPORT_HOURS }, status);
  const dryRunPage = (actor: Actor, result: DryRun, error: string | null, status = 200): Outcome =>
    view('imports/show', { title: `Import: ${result.fileName}`, result, error, timeZone: displayZone(actor.user, actor.client) }, status);

  return {
    /** Guard: parses the multipart body into req.file / req.body, within the limits. */
    receive: ((req: Request, res: Response, next: NextFunction) => {
      parse(req, res, (error?: unknown) => next(error ? uploadError(error, maxMb) : undefined));
    }) as RequestHandler,

    // GET /plan-imports/new
    async new(_req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'plans.create');
      return uploadPage(null);
    },

    // GET /plan-imports/template.xlsx
    async template(_req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'plans.create');
      const [facility] = await facilitiesInScope();
      const body = await importTemplate(actor.client, { facility: facility?.code ?? facility?.name ?? 'Facility code', assignee: actor.user.email });
      return download(body, 'plantrak-plan-item-import.xlsx', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    },

    // POST /plan-imports — keeps the file and shows its dry run; a file that cannot be imported
    // comes back to the upload page with the reason (nothing saved).
    async create(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'plans.create');
      const form = parseForm(uploadForm, req.body);
      if (!form.ok) return uploadPage(form.errors.form ?? Object.values(form.errors)[0]!, 422);
      try {
        const id = await keepUpload(actor.user, req.file ? { originalname: req.file.originalname ?? '', buffer: req.file.buffer } : undefined);
        return redirect(`/plan-imports/${id}`);
      } catch (error) {
        if (!(error instanceof HttpError) || error.status < 400 || error.status >= 500) throw error;
        return uploadPage(error.message, error.status);
      }
    },

    // GET /plan-imports/:id — the dry run: nothing is written.
    async show(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'plans.create');
      return dryRunPage(actor, await dryRun(actor.client, actor.user.id, String(req.params.id)), null);
    },

    // POST /plan-imports/:id/apply — all rows or none.
    async apply(req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'plans.create');
      await requireKeptImport(String(req.params.id));
      const form = parseForm(applyForm, req.body);
      if (!form.ok) throw new HttpError(422, form.errors.form ?? 'This form carried unexpected fields. Nothing was imported.');
      try {
        const done = await applyImport(actor.client, actor.user.id, String(req.params.id), form.data.confirmSensitive === '1');
        const skipped = done.skipped ? ` ${done.skipped} duplicate row${done.skipped === 1 ? ' was' : 's were'} skipped.` : '';
        const target = done.facilities.length === 1 ? `/units/${done.facilities[0]!.id}/plan` : `/plan-imports/${done.result.id}`;
        return redirect(target, { kind: 'success', message: `Imported ${done.created} Plan Item${done.created === 1 ? '' : 's'}; their events are being created.${skipped}` });
      } catch (error) {
        if (error instanceof ImportRefused) return dryRunPage(actor, error.result, error.message, 422);
        throw error;
      }
    },
  };
}
