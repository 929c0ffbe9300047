// Builds the Express app; never listens (server.ts does). Middleware order per DESIGN.md §10.
import fs from 'node:fs';
import path from 'node:path';
import express from 'express';
import { displayHelpers } from './lib/display-dates.ts';
import { csrf } from './middleware/csrf.ts';
import { errorHandler, notFound } from './middleware/errors.ts';
import { exposeFlash } from './middleware/flash.ts';
import { requestContext } from './middleware/request-context.ts';
import { requestLog } from './middleware/request-log.ts';
import { requestMetrics } from './middleware/metrics.ts';
import { noStore, securityHeaders } from './middleware/security.ts';
import { sessions } from './middleware/session.ts';
import { appRoutes, healthRoutes } from './routes/index.ts';
import { limitPasswordHashing } from './services/auth/passwords.ts';
import type { AppDeps } from './types/deps.ts';

export function buildApp(deps: AppDeps): express.Express {
  const { config, db } = deps;
  // Process-wide, as libuv's threadpool that bcrypt runs on is.
  limitPasswordHashing({ concurrency: config.bcryptConcurrency, queueMax: config.bcryptQueueMax });
  const app = express();
  app.disable('x-powered-by');
  // Pages are Cache-Control: no-store (noStore below), so a browser never revalidates one: hashing
  // every body for an ETag would be work for nothing. Static files keep theirs (express.static).
  app.set('etag', false);
  app.set('trust proxy', config.trustProxy);
  app.set('view engine', 'ejs');
  app.set('views', path.join(config.projectRoot, 'views'));
  app.locals.productName = 'PlanTRAK';
  // showDate, showDateTime, showTime: the one way every view shows dates and times.
  Object.assign(app.locals, displayHelpers);

  app.use(requestMetrics);
  app.use(requestLog);
  app.use(securityHeaders);
  // Only paths under public/'s own entries go to the file system: otherwise every page request
  // would first look for a file of its name there.
  const publicDir = path.join(config.projectRoot, 'public');
  const publicEntries = new Set(fs.readdirSync(publicDir));
  const publicFiles = express.static(publicDir, { index: false, maxAge: config.env === 'production' ? '1h' : 0 });
  app.use((req, res, next) => (publicEntries.has(req.path.split('/')[1] ?? '') ? publicFiles(req, res, next) : next()));
  // Chart.js's browser build, served from the installed package (never a CDN): the on-time report's trend.
  app.use('/assets/chart.js', express.static(path.join(config.projectRoot, 'node_modules/chart.js/dist'), { index: false }));
  app.use('/assets/pico', express.static(path.join(config.projectRoot, 'node_modules/@picocss/pico/css'), { index: false }));
  app.use(noStore);
  app.use(healthRoutes(db, config));
  // Room for the bulk reassignment form's 500 ticked rows (services/events/reassignment.ts BULK_REASSIGN_MAX).
  app.use(express.urlencoded({ extended: false, limit: '100kb', parameterLimit: 600 }));
  app.use(sessions(config, db.sessionPool, deps.sessionSecret).middleware);
  app.use(csrf);
  app.use(requestContext(config));
  app.use(exposeFlash);
  app.use(appRoutes(deps));
  app.use(notFound);
  app.use(errorHandler(config));
  return app;
}
