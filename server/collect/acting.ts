import type { Request, Response } from 'express';
import { requestActing, type Acting } from '../audit/acting.js';
import { auditContext } from '../audit/service.js';
import { clientIp } from '../auth/passport.js';
import type { Deps } from '../deps.js';

export { signedInActing } from '../auth/request-acting.js';

/** The employee on their link: no account, so no user id; the company is the request's. */
export function employeeActing(deps: Deps, req: Request, res: Response, companyId: string): Acting {
  return requestActing(auditContext(deps), { role: 'employee', companyId, requestId: res.locals.requestId, ipClass: clientIp(req) });
}
