// The rank × action grid of DESIGN.md §2, written out by hand so that a change to MINIMUM_RANK
// that disagrees with the design fails here. Do not derive EXPECTED from policies/index.ts.
//
// Reading of §2 used here: ranks form a ladder (Administrator > Executive > Director > Manager >
// Associate). A rank may grant only ranks below its own, so it holds at least what it can give
// away; the product brief confirms this for Executives, who manage users within scope although
// §2's Executive row names only reading, reports, exports and plan editing.
//   Administrator — everything in the client (hierarchy, users, settings, plans, reports, exports, audit log)
//   Executive     — read all in scope, reports, exports, edit plans; and all a Director may do
//   Director      — create/edit Plan Items, assign, reassign / transition tool, manage lower-ranked users
//   Manager       — edit Plan Items (not create), close/reopen others' events, facility reports, exports
//   Associate     — see plans and events, work and close own events (evidence, comments)
import { expect } from 'chai';
import { RANKS, type Rank } from '../../models/user.ts';
import { ACTIONS, type Action, authorize, can, canManageRank, grantableRanks } from '../../policies/index.ts';
import { ForbiddenError } from '../../lib/errors.ts';

// Columns: administrator, executive, director, manager, associate.
const Y = true;
const N = false;
const EXPECTED: Record<Action, [boolean, boolean, boolean, boolean, boolean]> = {
  //                        adm exe dir man ass
  'hierarchy.view':        [Y,  Y,  Y,  Y,  Y],
  'hierarchy.manage':      [Y,  N,  N,  N,  N],
  'settings.manage':       [Y,  N,  N,  N,  N],
  'audit.view':            [Y,  N,  N,  N,  N],
  'notifications.view':    [Y,  N,  N,  N,  N],
  'users.view':            [Y,  Y,  Y,  N,  N],
  'users.manage':          [Y,  Y,  Y,  N,  N],
  'plans.view':            [Y,  Y,  Y,  Y,  Y],
  'plans.create':          [Y,  Y,  Y,  N,  N],
  'plans.edit':            [Y,  Y,  Y,  Y,  N],
  'plans.assign':          [Y,  Y,  Y,  N,  N],
  'events.work_own':       [Y,  Y,  Y,  Y,  Y],
  'events.close_others':   [Y,  Y,  Y,  Y,  N],
  'events.reopen':         [Y,  Y,  Y,  Y,  N],
  'events.cancel':         [Y,  Y,  Y,  Y,  N],
  'events.reassign':       [Y,  Y,  Y,  N,  N],
  'transition.run':        [Y,  Y,  Y,  N,  N],
  'reports.view':          [Y,  Y,  Y,  Y,  N],
  'exports.download':      [Y,  Y,  Y,  Y,  N],
  'exports.full_client':   [Y,  N,  N,  N,  N],
};

const COLUMNS: Rank[] = ['administrator', 'executive', 'director', 'manager', 'associate'];

/** Who may be granted by whom (rows: granting rank; DESIGN.md §2 "only ranks below their own;
 *  Administrators may grant Administrator"). */
const GRANTABLE: Record<Rank, Rank[]> = {
  administrator: ['administrator', 'executive', 'director', 'manager', 'associate'],
  executive: ['director', 'manager', 'associate'],
  director: ['manager', 'associate'],
  manager: ['associate'],
  associate: [],
};

describe('policy grid (DESIGN.md §2)', () => {
  it('lists the same ranks, in seniority order, as the model', () => {
    expect([...RANKS]).to.deep.equal(COLUMNS);
  });

  it('covers exactly the actions of the matrix (a new action needs a row here)', () => {
    expect([...ACTIONS].sort()).to.deep.equal(Object.keys(EXPECTED).sort());
  });

  for (const action of Object.keys(EXPECTED) as Action[]) {
    COLUMNS.forEach((rank, column) => {
      const allowed = EXPECTED[action][column];
      it(`${rank} ${allowed ? 'may' : 'may not'} ${action}`, () => {
        expect(can({ rank }, action), `can(${rank}, ${action})`).to.equal(allowed);
        if (allowed) expect(() => authorize({ rank }, action)).not.to.throw();
        else expect(() => authorize({ rank }, action)).to.throw(ForbiddenError);
      });
    });
  }

  it('refuses everything to a missing actor and to an unknown rank (fails closed)', () => {
    for (const action of ACTIONS) {
      expect(can(undefined, action), action).to.equal(false);
      expect(() => authorize(undefined, action)).to.throw(ForbiddenError);
      expect(can({ rank: 'superuser' as Rank }, action), `unknown rank: ${action}`).to.equal(false);
    }
    expect(grantableRanks({ rank: 'superuser' as Rank })).to.deep.equal([]);
  });
});

describe('rank grants (DESIGN.md §2)', () => {
  for (const granter of COLUMNS) {
    it(`${granter} may grant ${GRANTABLE[granter].join(', ') || 'nothing'}`, () => {
      expect(grantableRanks({ rank: granter })).to.have.members(GRANTABLE[granter]);
      expect(grantableRanks({ rank: granter })).to.have.length(GRANTABLE[granter].length);
      for (const target of COLUMNS) {
        expect(canManageRank({ rank: granter }, target), `${granter} manages ${target}`).to.equal(GRANTABLE[granter].includes(target));
      }
    });
  }

  it('never lets a rank other than Administrator grant its own rank or above', () => {
    for (const granter of COLUMNS.filter((r) => r !== 'administrator')) {
      const own = COLUMNS.indexOf(granter);
      for (const target of COLUMNS.slice(0, own + 1)) expect(canManageRank({ rank: granter }, target), `${granter} → ${target}`).to.equal(false);
    }
  });
});
