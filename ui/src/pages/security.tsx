import { useState } from 'preact/hooks';
import { type Page, query } from '../api';
import { Empty, ErrorNote, Field, Json, PageHeader, Section, Status, When } from '../components';
import { useResource } from '../hooks';

interface Threat {
  id: string;
  type: string;
  severity: string;
  ipAddress: string | null;
  username: string | null;
  details: Record<string, unknown>;
  createdAt: string;
}
interface Compliance {
  ok: boolean;
  passed: number;
  failed: number;
  checks: Array<{ id: string; title: string; status: string; detail: string; advice?: string }>;
}

export function SecurityPage() {
  const [severity, setSeverity] = useState('');
  const threats = useResource<Page<Threat>>(
    `/api/security/threats${query({ severity, limit: 100 })}`,
    (e) => e.type === 'security:threat',
  );
  const status = useResource<Record<string, unknown>>('/api/security/status');
  const compliance = useResource<Compliance>('/api/security/compliance');
  return (
    <>
      <PageHeader title="Security" />
      <Section title="Compliance">
        <ErrorNote error={compliance.error} />
        {compliance.data && (
          <>
            <p>
              {compliance.data.passed} checks pass, {compliance.data.failed} fail.
            </p>
            <table>
              <thead>
                <tr>
                  <th scope="col">Check</th>
                  <th scope="col">Result</th>
                  <th scope="col">Detail</th>
                </tr>
              </thead>
              <tbody>
                {compliance.data.checks.map((c) => (
                  <tr key={c.id}>
                    <td>{c.title}</td>
                    <td>
                      <Status value={c.status} />
                    </td>
                    <td>
                      {c.detail}
                      {c.status !== 'pass' && c.advice && <div class="hint">{c.advice}</div>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </Section>
      <Section title="Threats">
        <form class="filters" aria-label="Filter threats" onSubmit={(e) => e.preventDefault()}>
          <Field label="Severity">
            <select value={severity} onChange={(e) => setSeverity(e.currentTarget.value)}>
              <option value="">any</option>
              <option value="low">low</option>
              <option value="medium">medium</option>
              <option value="high">high</option>
              <option value="critical">critical</option>
            </select>
          </Field>
        </form>
        <ErrorNote error={threats.error} />
        {threats.data?.items.length === 0 && <Empty>No threats recorded.</Empty>}
        {threats.data && threats.data.items.length > 0 && (
          <table>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Type</th>
                <th scope="col">Severity</th>
                <th scope="col">IP</th>
                <th scope="col">User</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {threats.data.items.map((t) => (
                <tr key={t.id}>
                  <td>
                    <When at={t.createdAt} />
                  </td>
                  <td>{t.type}</td>
                  <td>
                    <Status value={t.severity} />
                  </td>
                  <td>{t.ipAddress ?? '—'}</td>
                  <td>{t.username ?? '—'}</td>
                  <td class="mono small">{JSON.stringify(t.details)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Section>
      <Section title="Settings in force">
        <Json label="Security settings" value={status.data} />
      </Section>
    </>
  );
}
