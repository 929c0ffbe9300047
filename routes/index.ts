// The route table: one line per endpoint (verb, path, guards, action). No logic here.
import { type RequestHandler, Router } from 'express';
import { healthController } from '../controllers/health.ts';
import { homeController } from '../controllers/home.ts';
import { passwordsController } from '../controllers/passwords.ts';
import { sessionsController } from '../controllers/sessions.ts';
import { unitsController } from '../controllers/units.ts';
import { actionAdapters, signedIn, signedOut } from '../middleware/action.ts';
import type { Database } from '../models/index.ts';
import type { AppDeps } from '../types/deps.ts';

type Route = [verb: 'get' | 'post', path: string, guards: RequestHandler[], action: RequestHandler];

/** Monitoring endpoints, mounted before sessions so probes create no session rows. */
export function healthRoutes(db: Database): Router {
  const health = healthController(db);
  return buildRouter([
    ['get', '/healthz', [], health.live],
    ['get', '/readyz', [], health.ready],
  ]);
}

export function appRoutes(deps: AppDeps): Router {
  const { userAction, userFlow, publicFlow } = actionAdapters(deps.db);
  const sessions = sessionsController(deps);
  const passwords = passwordsController(deps);
  const home = homeController();
  const units = unitsController();

  return buildRouter([
    ['get', '/login', [signedOut], publicFlow(sessions.new)],
    ['post', '/login', [], publicFlow(sessions.create)],
    ['post', '/logout', [], publicFlow(sessions.destroy)],
    ['get', '/password/forgot', [], publicFlow(passwords.forgot)],
    ['post', '/password/forgot', [], publicFlow(passwords.sendReset)],
    ['get', '/password/reset', [], publicFlow(passwords.resetForm)],
    ['post', '/password/reset', [], publicFlow(passwords.reset)],
    ['get', '/account/password', [signedIn], userAction(passwords.edit)],
    ['post', '/account/password', [signedIn], userFlow(passwords.update)],
    ['get', '/', [signedIn], userAction(home.show)],

    // Organisation hierarchy (issue 3)
    ['get', '/units', [signedIn], userAction(units.index)],
    ['get', '/units/select', [signedIn], userAction(units.select)],
    ['get', '/units/:id', [signedIn], userAction(units.show)],
  ]);
}

function buildRouter(table: Route[]): Router {
  const router = Router();
  for (const [verb, path, guards, action] of table) router[verb](path, ...guards, action);
  return router;
}
