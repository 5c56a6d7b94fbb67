import type { Request, Response } from 'express';
import { requestActing, type Acting } from '../audit/acting.js';
import { auditContext } from '../audit/service.js';
import { clientIp } from '../auth/passport.js';
import type { Deps } from '../deps.js';
import { actorOf } from '../http/locals.js';

/** The signed-in requester (client or staff) as the audit trail names them. */
export function signedInActing(deps: Deps, req: Request, res: Response): Acting {
  const a = actorOf(res);
  return requestActing(auditContext(deps), {
    userId: a.userId, role: a.role, companyId: a.companyId ?? null, requestId: res.locals.requestId, sessionId: a.sessionId, ipClass: clientIp(req),
  });
}

/** The employee on their link: no account, so no user id; the company is the request's. */
export function employeeActing(deps: Deps, req: Request, res: Response, companyId: string): Acting {
  return requestActing(auditContext(deps), { role: 'employee', companyId, requestId: res.locals.requestId, ipClass: clientIp(req) });
}
