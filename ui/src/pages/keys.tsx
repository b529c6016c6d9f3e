import { useState } from 'preact/hooks';
import { api, post } from '../api';
import { ErrorNote, Field, ListTable, PageHeader, When } from '../components';
import { useAction, useResource } from '../hooks';
import { useUser } from '../session';

interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  role: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** The signed-in user's own API keys: a new key's value is shown once, here, and never again. */
export function KeysPage() {
  const me = useUser();
  const keys = useResource<{ items: ApiKey[] }>('/api/auth/api-keys');
  const [name, setName] = useState('');
  const [role, setRole] = useState<string>(me.role);
  const [created, setCreated] = useState<string>();
  const create = useAction(async () => {
    const answer = await post<{ key: string }>('/api/auth/api-keys', { name, role });
    setCreated(answer.key);
    setName('');
    keys.reload();
  });
  const revoke = useAction(async (id: string) => {
    await api('DELETE', `/api/auth/api-keys/${id}`);
    keys.reload();
  });
  const roles =
    me.role === 'admin' ? ['admin', 'user', 'viewer'] : me.role === 'user' ? ['user', 'viewer'] : ['viewer'];
  return (
    <>
      <PageHeader title="API keys" />
      <form
        class="card form inline"
        aria-label="New API key"
        onSubmit={(e) => {
          e.preventDefault();
          create.run();
        }}
      >
        <Field label="Key name">
          <input
            required
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
            placeholder="e.g. ci"
          />
        </Field>
        <Field label="Key role">
          <select value={role} onChange={(e) => setRole(e.currentTarget.value)}>
            {roles.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </Field>
        <button type="submit" class="primary" disabled={create.busy}>
          Create key
        </button>
      </form>
      {created && (
        <p role="status" class="note">
          Your new key (copy it now, it is not shown again): <code class="secret">{created}</code>
        </p>
      )}
      <ErrorNote error={keys.error ?? create.error ?? revoke.error} />
      <ListTable
        caption="API keys"
        empty="No API keys."
        columns={['Name', 'Prefix', 'Role', 'Expires', 'Last used', '']}
        items={keys.data?.items}
        row={(k) => (
          <tr key={k.id}>
            <td>{k.name}</td>
            <td class="mono">{k.prefix}…</td>
            <td>{k.role}</td>
            <td>
              <When at={k.expiresAt} />
            </td>
            <td>
              <When at={k.lastUsedAt} />
            </td>
            <td>
              {k.revokedAt ? (
                'revoked'
              ) : (
                <button type="button" class="small danger" onClick={() => revoke.run(k.id)}>
                  Revoke <span class="sr-only">{k.name}</span>
                </button>
              )}
            </td>
          </tr>
        )}
      />
    </>
  );
}
