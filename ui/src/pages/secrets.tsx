import { api, type Page } from '../api';
import { Confirm, Empty, ErrorNote, PageHeader, When } from '../components';
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
      {secrets.data?.items.length === 0 && <Empty>No secrets stored.</Empty>}
      {secrets.data && secrets.data.items.length > 0 && (
        <table>
          <caption class="sr-only">Secrets</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Created</th>
              <th scope="col">Updated</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {secrets.data.items.map((s) => (
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
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
