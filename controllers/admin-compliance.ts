// The yearly compliance report (Technical Director): a printable page and the same as XLSX.
import type { Request } from 'express';
import { type Outcome, download, view } from '../lib/outcomes.ts';
import { authorizeStaff } from '../policies/staff.ts';
import { checkedYear, complianceReport, complianceWorkbook } from '../services/operations/compliance.ts';
import type { StaffActor } from '../types/actor.ts';
import type { AppDeps } from '../types/deps.ts';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

export function adminComplianceController(deps: Pick<AppDeps, 'config'>) {
  /** The asked year (this one by default), or the page explaining what is accepted (422). */
  function yearOf(req: Request): number | Outcome {
    const asked = typeof req.query.year === 'string' ? req.query.year : String(new Date().getUTCFullYear());
    const year = checkedYear(asked);
    if (year !== null) return year;
    return view('admin/compliance', { title: 'Compliance report', report: null, asked, error: `Choose a year from 2020 to ${new Date().getUTCFullYear()}, written like 2026.` }, 422);
  }

  return {
    // GET /admin/compliance?year=YYYY — the printable report, audited.
    async show(req: Request, actor: StaffActor): Promise<Outcome> {
      authorizeStaff(actor.staff, 'compliance.view');
      const year = yearOf(req);
      if (typeof year !== 'number') return year;
      return view('admin/compliance', { title: `Compliance report ${year}`, report: await complianceReport(deps.config, year, 'page'), asked: String(year), error: null });
    },

    // GET /admin/compliance/report.xlsx?year=YYYY — the same as a workbook, audited.
    async xlsx(req: Request, actor: StaffActor): Promise<Outcome> {
      authorizeStaff(actor.staff, 'compliance.view');
      const year = yearOf(req);
      if (typeof year !== 'number') return year;
      const report = await complianceReport(deps.config, year, 'xlsx');
      return download(await complianceWorkbook(report), `plantrak-compliance-report-${year}.xlsx`, XLSX);
    },
  };
}
