import type { Request, Response } from 'express';
import { requestActing, type Acting } from '../audit/acting.js';
import { auditContext } from '../audit/service.js';
import type { Deps } from '../deps.js';
import { actorOf } from '../http/locals.js';
import { clientIp } from './passport.js';

/** The signed-in requester (client or staff) as the audit trail names them: who, which session, which request, from where. */
export function signedInActing(deps: Deps, req: Request, res: Response): Acting {
  const a = actorOf(res);
  return requestActing(auditContext(deps), {
    userId: a.userId, role: a.role, companyId: a.companyId ?? null, requestId: res.locals.requestId, sessionId: a.sessionId, ipClass: clientIp(req),
  });
}
