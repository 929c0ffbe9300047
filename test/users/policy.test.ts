// The pure user-management rules of policies/users.ts: who sees whom, who manages whom, which
// ranks and scopes an actor may grant.
import { expect } from 'chai';
import { RANKS, type Rank } from '../../models/user.ts';
import { canGrantRank, canManageUser, canSeeUser, scopeGrantProblem, type ScopeView } from '../../policies/users.ts';

const WHOLE: ScopeView = { whole: true, units: new Set() };
const NORTH: ScopeView = { whole: false, units: new Set(['north', 'lakes', 'lake-plant', 'hill-plant']) };

describe('user-management policy', () => {
  it('lets each rank grant only the ranks below it (Administrators also Administrator)', () => {
    const expected: Record<Rank, Rank[]> = {
      administrator: [...RANKS],
      executive: ['director', 'manager', 'associate'],
      director: ['manager', 'associate'],
      manager: ['associate'],
      associate: [],
    };
    for (const actor of RANKS) {
      expect(RANKS.filter((r) => canGrantRank({ rank: actor }, r)), actor).to.deep.equal(expected[actor]);
    }
  });

  it('shows a scoped actor only users whose every node is inside their scope', () => {
    const user = (rank: Rank, scopeUnitIds: (string | null)[]) => ({ id: 'u', rank, scopeUnitIds });
    expect(canSeeUser(NORTH, user('manager', ['lake-plant']))).to.equal(true);
    expect(canSeeUser(NORTH, user('manager', ['lake-plant', 'hill-plant']))).to.equal(true);
    expect(canSeeUser(NORTH, user('manager', ['lake-plant', 'south-plant']))).to.equal(false);
    expect(canSeeUser(NORTH, user('executive', [null]))).to.equal(false);
    expect(canSeeUser(NORTH, user('administrator', ['north']))).to.equal(false);
    expect(canSeeUser(NORTH, user('associate', []))).to.equal(false);
    expect(canSeeUser(WHOLE, user('administrator', [null]))).to.equal(true);
    expect(canSeeUser(WHOLE, user('associate', []))).to.equal(true);
  });

  it('never lets anyone manage themselves, and only Administrators manage their equals', () => {
    const target = (id: string, rank: Rank) => ({ id, rank, scopeUnitIds: ['lake-plant'] });
    const director = { id: 'd', rank: 'director' as Rank };
    expect(canManageUser(director, NORTH, target('m', 'manager'))).to.equal(true);
    expect(canManageUser(director, NORTH, target('d2', 'director'))).to.equal(false);
    expect(canManageUser(director, NORTH, target('d', 'manager'))).to.equal(false);
    const admin = { id: 'a', rank: 'administrator' as Rank };
    expect(canManageUser(admin, WHOLE, { id: 'a2', rank: 'administrator', scopeUnitIds: [null] })).to.equal(true);
    expect(canManageUser(admin, WHOLE, { id: 'a', rank: 'administrator', scopeUnitIds: [null] })).to.equal(false);
  });

  it('grants scope only inside the actor’s own, whole-client only by whole-client actors, never empty below Administrator', () => {
    expect(scopeGrantProblem(NORTH, 'manager', { whole: false, unitIds: ['lake-plant'] })).to.equal(undefined);
    expect(scopeGrantProblem(NORTH, 'manager', { whole: false, unitIds: ['south-plant'] })).to.match(/not in your scope/);
    expect(scopeGrantProblem(NORTH, 'manager', { whole: true, unitIds: [] })).to.match(/whole organisation/);
    expect(scopeGrantProblem(NORTH, 'manager', { whole: false, unitIds: [] })).to.match(/at least one unit/);
    expect(scopeGrantProblem(WHOLE, 'director', { whole: true, unitIds: [] })).to.equal(undefined);
    expect(scopeGrantProblem(WHOLE, 'associate', { whole: false, unitIds: ['anything-visible'] })).to.equal(undefined);
    expect(scopeGrantProblem(WHOLE, 'administrator', { whole: false, unitIds: [] })).to.equal(undefined);
  });
});
