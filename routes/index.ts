// The route table: one line per endpoint (verb, path, guards, action). No logic here.
import { type RequestHandler, Router } from 'express';
import { adminController } from '../controllers/admin.ts';
import { adminBackupsController } from '../controllers/admin-backups.ts';
import { adminClientsController } from '../controllers/admin-clients.ts';
import { adminOperationsController } from '../controllers/admin-operations.ts';
import { adminFreezeController } from '../controllers/admin-freeze.ts';
import { adminSystemController } from '../controllers/admin-system.ts';
import { adminComplianceController } from '../controllers/admin-compliance.ts';
import { adminStaffController } from '../controllers/admin-staff.ts';
import { auditLogController } from '../controllers/audit-log.ts';
import { auditPacksController } from '../controllers/audit-packs.ts';
import { calendarController } from '../controllers/calendar.ts';
import { calendarFeedsController } from '../controllers/calendar-feeds.ts';
import { ReplicaReads } from '../services/database/replica.ts';
import { clientExportController } from '../controllers/client-export.ts';
import { eventListExportsController } from '../controllers/event-list-exports.ts';
import { eventListsController } from '../controllers/event-lists.ts';
import { eventsController } from '../controllers/events.ts';
import { documentsController } from '../controllers/documents.ts';
import { healthController } from '../controllers/health.ts';
import { metricsController } from '../controllers/metrics.ts';
import { homeController } from '../controllers/home.ts';
import { levelLabelsController } from '../controllers/level-labels.ts';
import { notificationPreferencesController } from '../controllers/notification-preferences.ts';
import { notificationSettingsController } from '../controllers/notification-settings.ts';
import { notificationUnsubscribeController } from '../controllers/notification-unsubscribe.ts';
import { notificationsController } from '../controllers/notifications.ts';
import { planCopiesController } from '../controllers/plan-copies.ts';
import { planExportsController } from '../controllers/plan-exports.ts';
import { planImportsController } from '../controllers/plan-imports.ts';
import { planItemsController } from '../controllers/plan-items.ts';
import { reassignmentsController } from '../controllers/reassignments.ts';
import { reportExportsController } from '../controllers/report-exports.ts';
import { reportsController } from '../controllers/reports.ts';
import { passwordsController } from '../controllers/passwords.ts';
import { securitySettingsController } from '../controllers/security-settings.ts';
import { sessionsController } from '../controllers/sessions.ts';
import { staffSessionsController } from '../controllers/staff-sessions.ts';
import { supportAccessController } from '../controllers/support-access.ts';
import { supportSessionsController } from '../controllers/support-sessions.ts';
import { staffSetupController } from '../controllers/staff-setup.ts';
import { transitionController } from '../controllers/transition.ts';
import { twoFactorController } from '../controllers/two-factor.ts';
import { unitAdminController } from '../controllers/unit-admin.ts';
import { unitsController } from '../controllers/units.ts';
import { userExportsController } from '../controllers/user-exports.ts';
import { usersController } from '../controllers/users.ts';
import { actionAdapters, signedIn, signedOut } from '../middleware/action.ts';
import { csrfAfterUpload } from '../middleware/csrf.ts';
import { staffAdapters, staffSignedIn, staffSignedOut } from '../middleware/staff-action.ts';
import type { Database } from '../models/index.ts';
import type { Config } from '../config/index.ts';
import type { AppDeps } from '../types/deps.ts';

export type Route = [verb: 'get' | 'post', path: string, guards: RequestHandler[], action: RequestHandler];

/** Monitoring endpoints, mounted before sessions so probes create no session rows. */
export function healthRoutes(db: Database, config: Config): Router {
  const health = healthController(db);
  const metrics = metricsController(db, config);
  return buildRouter([
    ['get', '/healthz', [], health.live],
    ['get', '/readyz', [], health.ready],
    ['get', '/metrics', [metrics.authorized], metrics.show],
  ]);
}

export function appRoutes(deps: AppDeps): Router {
  return buildRouter(appRouteTable(deps));
}

/** Every page and action of the app (tests walk it to check isolation route by route). */
export function appRouteTable(deps: AppDeps): Route[] {
  const replicaReads = deps.db.replica && deps.config.replica ? new ReplicaReads(deps.db.replica, deps.config.replica.maxLagSeconds) : undefined;
  const { userAction, userFlow, publicFlow } = actionAdapters(deps.db, replicaReads);
  // Reports and table downloads: read on the replica when there is a usable one.
  const onReplica = { reads: 'replica' as const };
  const { staffAction, staffFlow } = staffAdapters(deps.db);
  const sessions = sessionsController(deps);
  const staffSessions = staffSessionsController(deps);
  const passwords = passwordsController(deps);
  const home = homeController();
  const units = unitsController();
  const twoFactor = twoFactorController(deps);
  const securitySettings = securitySettingsController();
  // Pages a user may open while their client requires two-factor sign-in they have not set up.
  // The user's own account pages: support staff inside a client never use them.
  const duringEnrolment = { duringEnrolment: true, ownAccount: true };
  const ownAccount = { ownAccount: true };
  const users = usersController(deps);
  const userExports = userExportsController();
  const unitAdmin = unitAdminController();
  const levelLabels = levelLabelsController();
  const plans = planItemsController();
  const planCopies = planCopiesController();
  const planExports = planExportsController();
  const eventLists = eventListsController();
  const eventListExports = eventListExportsController();
  const reassignments = reassignmentsController();
  const transition = transitionController(deps);
  const documents = documentsController(deps.config);
  const planImports = planImportsController(deps.config);
  const events = eventsController();
  const auditLog = auditLogController();
  const reports = reportsController();
  const reportExports = reportExportsController();
  const auditPacks = auditPacksController();
  const clientExport = clientExportController();
  const supportSessions = supportSessionsController(deps);
  const supportAccess = supportAccessController();
  const notificationSettings = notificationSettingsController();
  const notificationPreferences = notificationPreferencesController();
  const notifications = notificationsController();
  const unsubscribe = notificationUnsubscribeController(deps);
  const calendarFeeds = calendarFeedsController(deps);
  const calendar = calendarController();

  return [
    ['get', '/login', [signedOut], publicFlow(sessions.new)],
    ['post', '/login', [], publicFlow(sessions.create)],
    ['post', '/logout', [], publicFlow(sessions.destroy)],
    ['get', '/password/forgot', [], publicFlow(passwords.forgot)],
    ['post', '/password/forgot', [], publicFlow(passwords.sendReset)],
    ['get', '/password/reset', [], publicFlow(passwords.resetForm)],
    ['post', '/password/reset', [], publicFlow(passwords.reset)],
    ['get', '/account/password', [signedIn], userAction(passwords.edit, ownAccount)],
    ['post', '/account/password', [signedIn], userFlow(passwords.update, ownAccount)],
    ['get', '/', [signedIn], userAction(home.show)],
    ['get', '/account', [signedIn], userAction(home.account, duringEnrolment)],

    // Organisation hierarchy
    ['get', '/units', [signedIn], userAction(units.index)],
    ['get', '/units/select', [signedIn], userAction(units.select)],
    ['get', '/units/export.csv', [signedIn], userAction(units.exportCsv, onReplica)],
    ['get', '/units/export.xlsx', [signedIn], userAction(units.exportXlsx, onReplica)],
    ['get', '/units/new', [signedIn], userAction(unitAdmin.new)],
    ['post', '/units', [signedIn], userAction(unitAdmin.create)],
    ['get', '/units/:id', [signedIn], userAction(units.show)],
    ['get', '/units/:id/edit', [signedIn], userAction(unitAdmin.edit)],
    ['post', '/units/:id', [signedIn], userAction(unitAdmin.update)],
    ['post', '/units/:id/move', [signedIn], userAction(unitAdmin.move)],
    ['post', '/units/:id/deactivate', [signedIn], userAction(unitAdmin.deactivate)],
    ['post', '/units/:id/reactivate', [signedIn], userAction(unitAdmin.reactivate)],
    ['post', '/units/:id/delete', [signedIn], userAction(unitAdmin.destroy)],
    ['get', '/settings/levels', [signedIn], userAction(levelLabels.edit)],
    ['post', '/settings/levels', [signedIn], userAction(levelLabels.update)],

    // Management plans
    ['get', '/units/:id/plan', [signedIn], userAction(plans.index)],
    ['get', '/units/:id/plan/export.csv', [signedIn], userAction(planExports.csv, onReplica)],
    ['get', '/units/:id/plan/export.xlsx', [signedIn], userAction(planExports.xlsx, onReplica)],
    ['get', '/units/:id/plan/new', [signedIn], userAction(plans.new)],
    ['post', '/units/:id/plan', [signedIn], userAction(plans.create)],
    ['get', '/units/:id/plan/copy', [signedIn], userAction(planCopies.copyForm)],
    ['post', '/units/:id/plan/copy', [signedIn], userAction(planCopies.copy)],
    ['get', '/units/:id/events', [signedIn], userAction(eventLists.events)],
    ['get', '/units/:id/events/export.csv', [signedIn], userAction(eventListExports.unitCsv, onReplica)],
    ['get', '/units/:id/events/export.xlsx', [signedIn], userAction(eventListExports.unitXlsx, onReplica)],
    ['get', '/plan-imports/new', [signedIn], userAction(planImports.new)],
    ['get', '/plan-imports/template.xlsx', [signedIn], userAction(planImports.template)],
    ['post', '/plan-imports', [signedIn, planImports.receive, csrfAfterUpload], userAction(planImports.create)],
    ['get', '/plan-imports/:id', [signedIn], userAction(planImports.show)],
    ['post', '/plan-imports/:id/apply', [signedIn], userAction(planImports.apply)],
    ['get', '/plan-items/:id', [signedIn], userAction(plans.show)],
    ['get', '/plan-items/:id/events/export.csv', [signedIn], userAction(eventListExports.planItemCsv, onReplica)],
    ['get', '/plan-items/:id/events/export.xlsx', [signedIn], userAction(eventListExports.planItemXlsx, onReplica)],
    ['get', '/plan-items/:id/edit', [signedIn], userAction(plans.edit)],
    ['post', '/plan-items/:id', [signedIn], userAction(plans.update)],
    ['post', '/plan-items/:id/deactivate', [signedIn], userAction(plans.deactivate)],
    ['post', '/plan-items/:id/reactivate', [signedIn], userAction(plans.reactivate)],
    ['post', '/plan-items/:id/hide', [signedIn], userAction(plans.hide)],
    ['post', '/plan-items/:id/unhide', [signedIn], userAction(plans.unhide)],
    ['post', '/plan-items/:id/delete', [signedIn], userAction(plans.destroy)],

    // Events
    ['get', '/events', [signedIn], userAction(events.mine)],
    ['get', '/events/export.csv', [signedIn], userAction(eventListExports.mineCsv, onReplica)],
    ['get', '/events/export.xlsx', [signedIn], userAction(eventListExports.mineXlsx, onReplica)],
    ['get', '/events/:id', [signedIn], userAction(events.show)],
    ['post', '/events/:id/checklist', [signedIn], userAction(events.saveChecklist)],
    ['post', '/events/:id/close', [signedIn], userAction(events.close)],
    ['post', '/events/:id/reopen', [signedIn], userAction(events.reopen)],
    ['post', '/events/:id/cancel', [signedIn], userAction(events.cancel)],
    ['post', '/events/:id/comments', [signedIn], userAction(events.comment)],

    // Documents
    ['post', '/events/:id/documents', [signedIn, documents.receive, csrfAfterUpload], userAction(documents.upload)],
    ['get', '/documents/:id', [signedIn], userAction(documents.download)],
    ['post', '/documents/:id/delete', [signedIn], userAction(documents.destroy)],

    // Reassignment and the transition tool
    ['post', '/events/:id/reassign', [signedIn], userAction(reassignments.reassign)],
    ['post', '/units/:id/events/reassign', [signedIn], userAction(reassignments.bulk)],
    ['get', '/transition', [signedIn], userAction(transition.index)],
    ['get', '/transition/:id', [signedIn], userAction(transition.show)],
    ['post', '/transition/:id/preview', [signedIn], userAction(transition.preview)],
    ['post', '/transition/:id/apply', [signedIn], userFlow(transition.apply)],

    // Users
    ['get', '/users', [signedIn], userAction(users.index)],
    ['get', '/users/export.csv', [signedIn], userAction(userExports.csv, onReplica)],
    ['get', '/users/export.xlsx', [signedIn], userAction(userExports.xlsx, onReplica)],
    ['get', '/users/invite', [signedIn], userAction(users.newInvite)],
    ['post', '/users/invite', [signedIn], userAction(users.invite)],
    ['get', '/users/:id', [signedIn], userAction(users.show)],
    ['get', '/users/:id/edit', [signedIn], userAction(users.edit)],
    ['post', '/users/:id', [signedIn], userAction(users.update)],
    ['post', '/users/:id/deactivate', [signedIn], userFlow(users.deactivate)],
    ['post', '/users/:id/reactivate', [signedIn], userAction(users.reactivate)],
    ['post', '/users/:id/unlock', [signedIn], userAction(users.unlock)],
    ['post', '/users/:id/resend-invite', [signedIn], userAction(users.resendInvite)],
    ['get', '/invite/accept', [], publicFlow(users.acceptForm)],
    ['post', '/invite/accept', [], publicFlow(users.accept)],

    // Two-factor
    ['get', '/login/two-factor', [signedOut], publicFlow(twoFactor.challenge)],
    ['post', '/login/two-factor', [], publicFlow(twoFactor.verify)],
    ['get', '/account/two-factor', [signedIn], userAction(twoFactor.show, duringEnrolment)],
    ['post', '/account/two-factor/setup', [signedIn], userAction(twoFactor.begin, duringEnrolment)],
    ['post', '/account/two-factor/confirm', [signedIn], userAction(twoFactor.confirm, duringEnrolment)],
    ['post', '/account/two-factor/recovery-codes', [signedIn], userAction(twoFactor.regenerateCodes, ownAccount)],
    ['post', '/account/two-factor/disable', [signedIn], userFlow(twoFactor.disable, ownAccount)],
    ['get', '/settings/security', [signedIn], userAction(securitySettings.edit)],
    ['post', '/settings/security', [signedIn], userAction(securitySettings.update)],

    // Reports
    ['get', '/reports', [signedIn], userAction(reports.index, onReplica)],
    ['get', '/reports/open', [signedIn], userAction(reports.openOverdue, onReplica)],
    ['get', '/reports/upcoming', [signedIn], userAction(reports.upcoming, onReplica)],
    ['get', '/reports/completed', [signedIn], userAction(reports.completed, onReplica)],
    ['get', '/reports/on-time', [signedIn], userAction(reports.onTime, onReplica)],
    ['get', '/reports/plan-summary', [signedIn], userAction(reports.planSummary, onReplica)],
    ['get', '/reports/assignments', [signedIn], userAction(reports.assignments, onReplica)],
    ['get', '/reports/documents', [signedIn], userAction(reports.documents, onReplica)],
    ['get', '/reports/open/export.csv', [signedIn], userAction(reportExports.openCsv, onReplica)],
    ['get', '/reports/open/export.xlsx', [signedIn], userAction(reportExports.openXlsx, onReplica)],
    ['get', '/reports/upcoming/export.csv', [signedIn], userAction(reportExports.upcomingCsv, onReplica)],
    ['get', '/reports/upcoming/export.xlsx', [signedIn], userAction(reportExports.upcomingXlsx, onReplica)],
    ['get', '/reports/completed/export.csv', [signedIn], userAction(reportExports.completedCsv, onReplica)],
    ['get', '/reports/completed/export.xlsx', [signedIn], userAction(reportExports.completedXlsx, onReplica)],
    ['get', '/reports/on-time/export.csv', [signedIn], userAction(reportExports.onTimeCsv, onReplica)],
    ['get', '/reports/on-time/export.xlsx', [signedIn], userAction(reportExports.onTimeXlsx, onReplica)],
    ['get', '/reports/plan-summary/export.csv', [signedIn], userAction(reportExports.planSummaryCsv, onReplica)],
    ['get', '/reports/plan-summary/export.xlsx', [signedIn], userAction(reportExports.planSummaryXlsx, onReplica)],
    ['get', '/reports/assignments/export.csv', [signedIn], userAction(reportExports.assignmentsCsv, onReplica)],
    ['get', '/reports/assignments/export.xlsx', [signedIn], userAction(reportExports.assignmentsXlsx, onReplica)],
    ['get', '/reports/documents/export.csv', [signedIn], userAction(reportExports.documentsCsv, onReplica)],
    ['get', '/reports/documents/export.xlsx', [signedIn], userAction(reportExports.documentsXlsx, onReplica)],
    ['get', '/reports/audit-pack', [signedIn], userAction(auditPacks.form)],
    ['get', '/reports/audit-pack/pack.zip', [signedIn], userAction(auditPacks.download)],

    // Audit-log viewer
    ['get', '/audit', [signedIn], userAction(auditLog.index)],
    ['get', '/audit/export.csv', [signedIn], userAction(auditLog.exportCsv, onReplica)],
    ['get', '/audit/export.xlsx', [signedIn], userAction(auditLog.exportXlsx, onReplica)],

    // Notifications
    ['get', '/settings/notifications', [signedIn], userAction(notificationSettings.edit)],
    ['post', '/settings/notifications', [signedIn], userAction(notificationSettings.update)],
    ['get', '/account/notifications', [signedIn], userAction(notificationPreferences.edit, ownAccount)],
    ['post', '/account/notifications', [signedIn], userAction(notificationPreferences.update, ownAccount)],
    ['get', '/notifications', [signedIn], userAction(notifications.index)],
    ['get', '/notifications/export.csv', [signedIn], userAction(notifications.exportCsv, onReplica)],
    ['get', '/notifications/export.xlsx', [signedIn], userAction(notifications.exportXlsx, onReplica)],
    // The link in the message is the authority: no session, and (this path only) no CSRF token.
    ['get', '/notifications/unsubscribe', [], publicFlow(unsubscribe.confirm)],
    ['post', '/notifications/unsubscribe', [], publicFlow(unsubscribe.apply)],
    ['get', '/calendar', [signedIn], userAction(calendar.month)],
    ['get', '/account/calendar', [signedIn], userAction(calendarFeeds.account, ownAccount)],
    ['post', '/account/calendar', [signedIn], userAction(calendarFeeds.change, ownAccount)],
    ['get', '/settings/calendar', [signedIn], userAction(calendarFeeds.settings)],
    ['post', '/settings/calendar', [signedIn], userAction(calendarFeeds.saveSettings)],
    ['get', '/calendar/feed/:file', [], publicFlow(calendarFeeds.feed)],

    // Support access, as the client sees it
    ['get', '/settings/support', [signedIn], userAction(supportAccess.show)],
    ['post', '/settings/support', [signedIn], userAction(supportAccess.update)],
    ['post', '/settings/support/:id/approve', [signedIn], userAction(supportAccess.approve)],
    ['post', '/settings/support/:id/deny', [signedIn], userAction(supportAccess.deny)],
    ['post', '/settings/support/:id/end', [signedIn], userAction(supportAccess.end)],
    ['get', '/settings/export', [signedIn], userAction(clientExport.show)],
    ['get', '/settings/export/full.zip', [signedIn], userAction(clientExport.download)],

    // Staff sign-in
    ['get', '/admin/setup', [], publicFlow(staffSetupController(deps).form)],
    ['post', '/admin/setup', [], publicFlow(staffSetupController(deps).complete)],
    ['get', '/admin/login', [staffSignedOut], publicFlow(staffSessions.new)],
    ['post', '/admin/login', [], publicFlow(staffSessions.create)],
    ['get', '/admin/login/code', [staffSignedOut], publicFlow(staffSessions.codeForm)],
    ['post', '/admin/login/code', [], publicFlow(staffSessions.verifyCode)],
    ['get', '/admin/login/enrol', [staffSignedOut], publicFlow(staffSessions.enrolForm)],
    ['post', '/admin/login/enrol', [], publicFlow(staffSessions.confirmEnrolment)],
    ['post', '/admin/logout', [], publicFlow(staffSessions.destroy)],

    // Admin area
    ['get', '/admin/staff', [staffSignedIn], staffAction(adminStaffController(deps).index)],
    ['get', '/admin/staff/new', [staffSignedIn], staffAction(adminStaffController(deps).new)],
    ['post', '/admin/staff', [staffSignedIn], staffAction(adminStaffController(deps).create)],
    ['get', '/admin/staff/:id', [staffSignedIn], staffAction(adminStaffController(deps).show)],
    ['post', '/admin/staff/:id', [staffSignedIn], staffAction(adminStaffController(deps).update)],
    ['post', '/admin/staff/:id/deactivate', [staffSignedIn], staffAction(adminStaffController(deps).deactivate)],
    ['post', '/admin/staff/:id/reactivate', [staffSignedIn], staffAction(adminStaffController(deps).reactivate)],
    ['post', '/admin/staff/:id/reset', [staffSignedIn], staffAction(adminStaffController(deps).reset)],
    ['get', '/admin', [staffSignedIn], staffAction(adminController().dashboard)],
    ['get', '/admin/clients/new', [staffSignedIn], staffFlow(adminClientsController(deps).new)],
    ['post', '/admin/clients', [staffSignedIn], staffFlow(adminClientsController(deps).create)],
    ['get', '/admin/clients/:id', [staffSignedIn], staffAction(adminClientsController(deps).show)],
    ['post', '/admin/clients/:id', [staffSignedIn], staffAction(adminClientsController(deps).update)],
    ['get', '/admin/outbox', [staffSignedIn], staffAction(adminOperationsController().outbox)],
    ['get', '/admin/errors', [staffSignedIn], staffAction(adminOperationsController().errors)],
    ['get', '/admin/backups', [staffSignedIn], staffAction(adminBackupsController(deps).show)],
    ['post', '/admin/backups/run', [staffSignedIn], staffAction(adminBackupsController(deps).run)],
    ['get', '/admin/system', [staffSignedIn], staffFlow(adminSystemController(deps).show)],
    ['post', '/admin/system/reviews', [staffSignedIn], staffAction(adminSystemController(deps).review)],
    ['get', '/admin/compliance', [staffSignedIn], staffAction(adminComplianceController(deps).show)],
    ['get', '/admin/compliance/report.xlsx', [staffSignedIn], staffAction(adminComplianceController(deps).xlsx)],
    ['get', '/admin/freeze', [staffSignedIn], staffAction(adminFreezeController().show)],
    ['post', '/admin/freeze', [staffSignedIn], staffAction(adminFreezeController().freeze)],
    ['post', '/admin/freeze/thaw', [staffSignedIn], staffAction(adminFreezeController().thaw)],

    // Support sessions, as staff run them
    ['get', '/admin/support/new', [staffSignedIn], staffAction(supportSessions.new)],
    ['post', '/admin/support', [staffSignedIn], staffFlow(supportSessions.create)],
    ['post', '/admin/support/exit', [staffSignedIn], staffFlow(supportSessions.exit)],
    ['get', '/admin/support/:id', [staffSignedIn], staffAction(supportSessions.show)],
    ['post', '/admin/support/:id/enter', [staffSignedIn], staffFlow(supportSessions.enterApproved)],
    ['post', '/admin/support/:id/cancel', [staffSignedIn], staffFlow(supportSessions.cancel)],
  ];
}

function buildRouter(table: Route[]): Router {
  const router = Router();
  for (const [verb, path, guards, action] of table) router[verb](path, ...guards, action);
  return router;
}
