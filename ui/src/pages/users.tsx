import { useState } from 'preact/hooks';
import { api, type Page, post, type User } from '../api';
import { Disclosure, ErrorNote, Field, ListTable, PageHeader, Status, When } from '../components';
import { useAction, useResource } from '../hooks';
import { useUser } from '../session';

export function UsersPage() {
  const me = useUser();
  const users = useResource<Page<User>>('/api/users?limit=500');
  const [form, setForm] = useState({ username: '', email: '', password: '', role: 'user' });
  const [creating, setCreating] = useState(false);
  const create = useAction(async () => {
    await post('/api/users', form);
    setForm({ username: '', email: '', password: '', role: 'user' });
    setCreating(false);
    users.reload();
  });
  const patch = useAction(async (id: string, change: Partial<User>) => {
    await api('PATCH', `/api/users/${id}`, change);
    users.reload();
  });
  const set = (key: keyof typeof form) => (e: { currentTarget: { value: string } }) =>
    setForm({ ...form, [key]: e.currentTarget.value });
  return (
    <>
      <PageHeader title="Users">
        <Disclosure primary open={creating} onToggle={setCreating}>
          New user
        </Disclosure>
      </PageHeader>
      {creating && (
        <form
          class="card form"
          aria-label="New user"
          onSubmit={(e) => {
            e.preventDefault();
            create.run();
          }}
        >
          <Field label="Username">
            <input required value={form.username} onInput={set('username')} autoComplete="off" />
          </Field>
          <Field label="Email">
            <input required type="email" value={form.email} onInput={set('email')} />
          </Field>
          <Field label="Password" hint="at least 12 characters">
            <input
              required
              type="password"
              value={form.password}
              onInput={set('password')}
              autoComplete="new-password"
            />
          </Field>
          <Field label="Role">
            <select value={form.role} onChange={set('role')}>
              <option value="user">user</option>
              <option value="viewer">viewer</option>
              <option value="admin">admin</option>
            </select>
          </Field>
          <ErrorNote error={create.error} />
          <button type="submit" class="primary" disabled={create.busy}>
            Create user
          </button>
        </form>
      )}
      <ErrorNote error={users.error ?? patch.error} />
      <ListTable
        caption="Users"
        empty="No users."
        columns={['Username', 'Email', 'Role', 'State', 'Last login', '']}
        items={users.data?.items}
        row={(u) => (
          <tr key={u.id}>
            <td>{u.username}</td>
            <td>{u.email}</td>
            <td>
              <label>
                <span class="sr-only">Role of {u.username}</span>
                <select
                  value={u.role}
                  disabled={u.id === me.id}
                  onChange={(e) => patch.run(u.id, { role: e.currentTarget.value as User['role'] })}
                >
                  <option value="admin">admin</option>
                  <option value="user">user</option>
                  <option value="viewer">viewer</option>
                </select>
              </label>
            </td>
            <td>
              <Status value={u.isActive ? 'active' : 'inactive'} />
            </td>
            <td>
              <When at={u.lastLogin} />
            </td>
            <td>
              {u.id !== me.id && (
                <button
                  type="button"
                  class="small"
                  onClick={() => patch.run(u.id, { isActive: !u.isActive })}
                >
                  {u.isActive ? 'Deactivate' : 'Activate'} <span class="sr-only">{u.username}</span>
                </button>
              )}
            </td>
          </tr>
        )}
      />
    </>
  );
}
