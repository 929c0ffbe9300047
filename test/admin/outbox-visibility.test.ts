// Regression: the admin outbox shows every client's mail to every staff member, without a visit.
import { expect } from 'chai';
import { createClient, createUser, ownerQuery } from '../support/factories.ts';
import { testApp } from '../support/http.ts';
import { createStaff, signedInStaffAgent } from '../support/staff.ts';

describe('the mail outbox and Client Representatives', () => {
  let app: ReturnType<typeof testApp>;
  before(() => {
    app = testApp();
  });

  // admin_mail_outbox() (SECURITY DEFINER, any active staff) + operations.view for client_representative: a Client
  // Representative reads recipients and subjects of clients they are not assigned to, outside any support session
  // (DESIGN.md §2/§8.2: staff reach client data only through a visit; representatives only their clients).
  it('does not show a Client Representative the mail of a client they do not represent', async () => {
    const client = await createClient({ name: 'Private Co' });
    const user = await createUser(client, { rank: 'associate', email: 'secret.person@private.example' });
    await ownerQuery(
      `INSERT INTO mail_outbox (client_id, to_address, kind, subject, text_body) VALUES ($1, $2, 'user.invite', 'You are invited to PlanTRAK (Private Co)', 'x')`,
      [client.id, user.email],
    );
    const rep = await createStaff({ role: 'client_representative' });
    const agent = await signedInStaffAgent(app, rep);
    const page = await agent.get('/admin/outbox');
    expect(page.text, 'another client’s user address').to.not.include('secret.person@private.example');
  });
});
