import path from 'node:path';
import { fileURLToPath } from 'node:url';
import cookieParser from 'cookie-parser';
import express, { type Express } from 'express';
import type { Deps } from './deps.js';
import { accountsRoutes } from './accounts/routes.js';
import { auditRoutes } from './audit/routes.js';
import { officeAuthRoutes } from './auth/office-routes.js';
import { roomRoutes } from './auth/room-routes.js';
import { sessionMiddleware } from './auth/session-middleware.js';
import { healthRoutes } from './health/routes.js';
import { homeRoutes } from './home/routes.js';
import { csrfProtection } from './http/csrf.js';
import { dropsRoutes } from './drops/routes.js';
import { fileRoutes } from './files/routes.js';
import { inboxBadge, notifyRoutes } from './notify/routes.js';
import { officeNoticeRoutes, officeNotices } from './notify/office-notices-routes.js';
import { errorHandler, notFoundHandler } from './http/error-handler.js';
import { accessLog } from './http/access-log.js';
import { requestId } from './http/request-id.js';
import { securityHeaders } from './http/security-headers.js';
import { vendorRoutes } from './http/vendor-routes.js';
import { i18nMiddleware } from './i18n/i18n.js';
import { publicKeyRoutes } from './keys/routes.js';
import { keyLockRoutes } from './keys/lock-routes.js';
import { setupRoutes } from './setup/routes.js';
import { ingestRoutes } from './ingest/routes.js';
import { vaultRoutes } from './vault/routes.js';
import { retentionRoutes } from './retention/routes.js';
import { batchRoutes } from './disposal-batches/batch-routes.js';
import { yearEndInputRoutes } from './bundles/input/routes.js';
import { bundleBuildRoutes } from './bundles/build/routes.js';
import { bundleOfficeRoutes } from './bundles/delivery/office-routes.js';
import { bundleRoomRoutes } from './bundles/delivery/room-routes.js';
import { bundleSettingsRoutes } from './bundles/settings/routes.js';
import { collectRoutes } from './collect/routes.js';
import { employeeRoutes } from './collect/employee-routes.js';
import { arrivalRoutes } from './collect/arrival-routes.js';
import { keptImageRoutes } from './collect/image-routes.js';
import { oversightRoutes } from './oversight/routes.js';
import { custodyRoutes } from './oversight/custody-routes.js';
import { ledgerRoutes } from './oversight/ledger-routes.js';
import { safeguardsRoutes } from './oversight/safeguards-routes.js';
import { custodyIssueRoutes } from './oversight/custody-issue-routes.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Builds the Express app from its dependencies and does nothing else: no
 * listen, no process hooks, nothing at import time. Order matters: headers and
 * request id first; the probe and static files before sessions; then the
 * session, CSRF check and the audience routers; the 404 and the single error
 * handler last.
 */
export async function createApp(deps: Deps): Promise<Express> {
  const app = express();
  const i18n = deps.i18n;
  const tls = deps.config.publicUrl.startsWith('https:');
  app.disable('x-powered-by');
  // Production error output whatever NODE_ENV says: should anything ever get
  // past errorHandler, Express's final handler then prints only the status
  // text, never a stack trace with the install's absolute paths.
  app.set('env', 'production');
  app.set('trust proxy', deps.config.trustProxy ? 1 : false);
  app.set('views', path.join(root, 'views'));
  app.set('view engine', 'ejs');
  app.set('query parser', 'simple'); // no nested objects from query strings (prototype pollution)

  app.use(requestId);
  app.use(accessLog(deps.logger));
  app.use(securityHeaders({ tls }));
  app.use('/static', express.static(path.join(root, 'static'), { index: false, dotfiles: 'deny', maxAge: '1h' }));
  app.use(vendorRoutes());
  app.use(i18nMiddleware(i18n));
  app.use(healthRoutes(deps, deps.logger));

  app.use(cookieParser());
  // Forms only; flat fields (extended: false), small bodies. Uploads stream separately.
  app.use(express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 100 }));
  app.use(express.json({ limit: '64kb' }));
  app.use(sessionMiddleware(deps));
  app.use(csrfProtection({ secret: deps.secrets.signing, tls }));
  app.use(inboxBadge(deps));
  app.use(officeNotices(deps));

  app.use(homeRoutes());
  app.use(publicKeyRoutes(deps));
  app.use(keyLockRoutes(deps));
  app.use(fileRoutes(deps));
  app.use(setupRoutes(deps));
  app.use(officeAuthRoutes(deps));
  app.use(accountsRoutes(deps));
  app.use(auditRoutes(deps));
  app.use(roomRoutes(deps));
  app.use(dropsRoutes(deps));
  app.use(notifyRoutes(deps));
  app.use(officeNoticeRoutes(deps));
  app.use(ingestRoutes(deps));
  app.use(vaultRoutes(deps));
  app.use(retentionRoutes(deps));
  app.use(batchRoutes(deps));
  app.use(yearEndInputRoutes(deps));
  app.use(bundleBuildRoutes(deps));
  app.use(bundleOfficeRoutes(deps));
  app.use(bundleRoomRoutes(deps));
  app.use(bundleSettingsRoutes(deps));
  app.use(collectRoutes(deps));
  app.use(employeeRoutes(deps));
  app.use(arrivalRoutes(deps));
  app.use(keptImageRoutes(deps));
  app.use(oversightRoutes(deps));
  app.use(custodyRoutes(deps));
  app.use(ledgerRoutes(deps));
  app.use(safeguardsRoutes(deps));
  app.use(custodyIssueRoutes(deps));

  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger, i18n));
  return app;
}
