import { api, type Page } from '../api';
import { Confirm, ErrorNote, ListTable, PageHeader, When } from '../components';
import { useAction, useResource } from '../hooks';

interface SecretInfo {
  name: string;
  createdAt: string;
  updatedAt: string;
}

/** Secret names and dates only: the API never answers a value, and neither does the console. */
export function SecretsPage() {
  const secrets = useResource<Page<SecretInfo> | { items: SecretInfo[] }>('/api/secrets');
  const remove = useAction(async (name: string) => {
    await api('DELETE', `/api/secrets/${encodeURIComponent(name)}`);
    secrets.reload();
  });
  return (
    <>
      <PageHeader title="Secrets" />
      <p class="muted">
        Values are never shown. Set one with <code>PUT /api/secrets/:name</code> or the CLI.
      </p>
      <ErrorNote error={secrets.error ?? remove.error} />
      <ListTable
        caption="Secrets"
        empty="No secrets stored."
        columns={['Name', 'Created', 'Updated', '']}
        items={secrets.data?.items}
        row={(s) => (
          <tr key={s.name}>
            <td class="mono">{s.name}</td>
            <td>
              <When at={s.createdAt} />
            </td>
            <td>
              <When at={s.updatedAt} />
            </td>
            <td>
              <Confirm
                class="danger small"
                question={`Delete secret ${s.name}?`}
                onConfirm={() => remove.run(s.name)}
              >
                Delete <span class="sr-only">{s.name}</span>
              </Confirm>
            </td>
          </tr>
        )}
      />
    </>
  );
}
