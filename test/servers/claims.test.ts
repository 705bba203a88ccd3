import { test } from 'node:test';
import assert from 'node:assert/strict';
import { claimsFromRows } from '../../servers/claims.js';

test('no rows: unknown user', () => {
  assert.equal(claimsFromRows([]), null);
});

test('a user without roles gets no claims', () => {
  assert.equal(claimsFromRows([{ user_id: 5, role_id: null, role_name: null, permission_name: null }]), null);
});

test('the most privileged role wins and permissions are the sorted union', () => {
  const rows = [
    { user_id: '9', role_id: 3, role_name: 'viewer', permission_name: 'view_dashboard' },
    { user_id: '9', role_id: 2, role_name: 'editor', permission_name: 'edit_articles' },
    { user_id: '9', role_id: 2, role_name: 'editor', permission_name: 'view_dashboard' },
    { user_id: '9', role_id: 3, role_name: 'viewer', permission_name: 'view_articles' },
  ];
  assert.deepEqual(claimsFromRows(rows), {
    id: 9,
    role: 'editor',
    permissions: ['edit_articles', 'view_articles', 'view_dashboard'],
  });
});

test('a role without permissions still counts as the role', () => {
  assert.deepEqual(claimsFromRows([{ user_id: 1, role_id: 4, role_name: 'guest', permission_name: null }]), {
    id: 1,
    role: 'guest',
    permissions: [],
  });
});
