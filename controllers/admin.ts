// The staff dashboard: the client directory, with the way into each client.
import type { Request } from 'express';
import { type Outcome, view } from '../lib/outcomes.ts';
import type { StaffActor } from '../types/actor.ts';
import { staffCan } from '../policies/staff.ts';
import { listClients } from '../services/admin/clients.ts';

export function adminController() {
  return {
    // GET /admin — all staff see the directory; ?mine=1 keeps the clients assigned to me.
    async dashboard(req: Request, { staff }: StaffActor): Promise<Outcome> {
      const mineOnly = req.query.mine === '1';
      const all = await listClients();
      const isMine = (c: { representative_id: string | null }) => c.representative_id === staff.id;
      // A Client Representative's own clients come first.
      const ordered = staff.role === 'client_representative' ? [...all.filter(isMine), ...all.filter((c) => !isMine(c))] : all;
      const clients = (mineOnly ? ordered.filter(isMine) : ordered).map((c) => ({
        ...c,
        mine: isMine(c),
        mayEnter: staffCan(staff, 'support.enter_any') || isMine(c),
      }));
      return view('admin/index', { title: 'Admin', clients, mineOnly, assignedCount: all.filter(isMine).length });
    },
  };
}
