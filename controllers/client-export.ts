// The full client export (Administrators): a page saying what the file holds, and the file itself,
// streamed as one ZIP from the request's unit of work (services/exports/client-export.ts).
import type { Request } from 'express';
import { archive, type Outcome, view } from '../lib/outcomes.ts';
import { authorize } from '../policies/index.ts';
import { clientExport, EXPORTED_TABLES } from '../services/exports/client-export.ts';
import type { Actor } from '../types/actor.ts';

export function clientExportController() {
  return {
    // GET /settings/export
    async show(_req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'exports.full_client');
      return view('settings/export', { title: 'Export all data', sheets: EXPORTED_TABLES.map((t) => t.sheetName) });
    },

    // GET /settings/export/full.zip — the workbook of every table and every document's bytes.
    async download(_req: Request, actor: Actor): Promise<Outcome> {
      authorize(actor.user, 'exports.full_client');
      return archive(clientExport(actor.client));
    },
  };
}
